import { fileURLToPath } from "node:url";
import { readmeExample } from "@kdrec/testing";
import { afterEach, describe, expect, it, vi } from "vitest";

afterEach(() => vi.restoreAllMocks());

describe("README example", () => {
  it("is the code of examples/readme.ts, and runs", async () => {
    const { shown, file } = readmeExample(fileURLToPath(new URL("..", import.meta.url)));
    expect(shown).toBe(file);
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    await import("../examples/readme.js");
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/^teacher: best epoch \d+, valid NDCG@10 0\.\d{4}$/));
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/^student: \d+ epochs, valid NDCG@10 0\.\d{4}$/));
  }, 120_000);
});

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
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/^BPR 0\.\d{4}$/));
    expect(log).toHaveBeenCalledWith("0.2·bpr + 0.8·soft-label-ce(T=0.5)");
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/^total \d+\.\d{4}$/));
  });
});

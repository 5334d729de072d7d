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
    expect(log).toHaveBeenCalledWith("parameters: 6400");
    const ndcg = Number(String(log.mock.calls[1]?.[0]).replace("validation NDCG@10 ", ""));
    expect(ndcg).toBeGreaterThan(0.05); // random scores give about 0.01 here, MostPop about 0.08
  }, 120_000);
});

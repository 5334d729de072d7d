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
    expect(log).toHaveBeenCalledWith(
      expect.stringMatching(/^MostPop NDCG@10 0\.\d{4} \(95% CI 0\.\d{4} to 0\.\d{4}\)$/),
    );
    const comparison = String(log.mock.calls[1]?.[0]);
    expect(comparison).toMatch(/^MostPop vs random: \+0\.\d{4} NDCG@10, p = /);
    expect(Number(comparison.split("p = ")[1])).toBeLessThan(0.05);
  }, 120_000);
});

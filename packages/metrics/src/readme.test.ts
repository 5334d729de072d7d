import { fileURLToPath } from "node:url";
import { runReadmeExample } from "@kdrec/testing";
import { describe, expect, it } from "vitest";

describe("README example", () => {
  it("is the code of examples/readme.ts, runs, and prints what it says", async () => {
    const logs = await runReadmeExample(fileURLToPath(new URL("..", import.meta.url)));
    expect(logs[0]).toMatch(/^MostPop NDCG@10 0\.\d{4} \(95% CI 0\.\d{4} to 0\.\d{4}\)$/);
    expect(logs[1]).toMatch(/^MostPop vs random: \+0\.\d{4} NDCG@10, p = /);
    expect(Number(String(logs[1]).split("p = ")[1])).toBeLessThan(0.05);
  }, 120_000);
});

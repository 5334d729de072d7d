import { fileURLToPath } from "node:url";
import { runReadmeExample } from "@kdrec/testing";
import { describe, expect, it } from "vitest";

describe("README example", () => {
  it("is the code of examples/readme.ts, runs, and prints what it says", async () => {
    const logs = await runReadmeExample(fileURLToPath(new URL("..", import.meta.url)));
    expect(logs[0]).toBe("parameters: 6400");
    // Random scores give about 0.01 on this data, MostPop about 0.08.
    expect(Number(String(logs[1]).replace("validation NDCG@10 ", ""))).toBeGreaterThan(0.05);
  }, 120_000);
});

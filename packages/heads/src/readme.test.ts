import { fileURLToPath } from "node:url";
import { runReadmeExample } from "@kdrec/testing";
import { describe, expect, it } from "vitest";

describe("README example", () => {
  it("is the code of examples/readme.ts, runs, and prints what it says", async () => {
    const logs = await runReadmeExample(fileURLToPath(new URL("..", import.meta.url)));
    // (200 + 300)·8 embeddings; 3 experts 24→32; 3 gates 24→3; 3 heads 32→1
    expect(logs[0]).toBe(`parameters: ${500 * 8 + 3 * (24 * 32 + 32) + 3 * (24 * 3 + 3) + 3 * 33}`);
    expect(logs[1]).toMatch(/^test rmse \d\.\d{3}, like auc 0\.\d{3}$/);
    expect(logs[2]).toMatch(/^learned weights: rating \d\.\d\d, like \d\.\d\d, ranking \d\.\d\d$/);
  });
});

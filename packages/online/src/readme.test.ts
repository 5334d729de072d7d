import { fileURLToPath } from "node:url";
import { runReadmeExample } from "@kdrec/testing";
import { describe, expect, it } from "vitest";

describe("README example", () => {
  it("is the code of examples/readme.ts, runs, and prints what it says", async () => {
    const logs = await runReadmeExample(fileURLToPath(new URL("..", import.meta.url)));
    expect(logs).toHaveLength(5);
    for (const [w, line] of logs.entries())
      expect(line).toMatch(
        new RegExp(`^window ${w}: NDCG@10 0\\.\\d{4} before the update, then \\d+ interactions trained$`),
      );
  }, 120_000);
});

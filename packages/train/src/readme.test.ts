import { fileURLToPath } from "node:url";
import { runReadmeExample } from "@kdrec/testing";
import { describe, expect, it } from "vitest";

describe("README example", () => {
  it("is the code of examples/readme.ts, runs, and prints what it says", async () => {
    const logs = await runReadmeExample(fileURLToPath(new URL("..", import.meta.url)));
    expect(logs[0]).toMatch(/^teacher: best epoch \d+, valid NDCG@10 0\.\d{4}$/);
    expect(logs[1]).toMatch(/^student: \d+ epochs, valid NDCG@10 0\.\d{4}$/);
  }, 120_000);
});

import { fileURLToPath } from "node:url";
import { runReadmeExample } from "@kdrec/testing";
import { describe, expect, it } from "vitest";

describe("README example", () => {
  it("is the code of examples/readme.ts, runs, and prints what it says", async () => {
    const logs = await runReadmeExample(fileURLToPath(new URL("..", import.meta.url)));
    expect(logs).toEqual([
      "one-way soft-label (α=0.8, T=0.5, 100 candidates, 5×40 epochs, fine-tune 20)",
      "bpr + soft-label-ce",
      "one-way ranking (α=0.5, top 10, λ=5, 5×40 epochs, fine-tune 20)",
    ]);
  });
});

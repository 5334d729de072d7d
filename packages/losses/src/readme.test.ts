import { fileURLToPath } from "node:url";
import { runReadmeExample } from "@kdrec/testing";
import { describe, expect, it } from "vitest";

describe("README example", () => {
  it("is the code of examples/readme.ts, runs, and prints what it says", async () => {
    const logs = await runReadmeExample(fileURLToPath(new URL("..", import.meta.url)));
    expect(logs[0]).toMatch(/^BPR 0\.\d{4}$/);
    expect(logs[1]).toBe("0.2·bpr + 0.8·soft-label-ce(T=0.5)");
    expect(logs[2]).toMatch(/^total \d+\.\d{4}$/);
  });
});

import { fileURLToPath } from "node:url";
import { runReadmeExample } from "@kdrec/testing";
import { describe, expect, it } from "vitest";

describe("README example", () => {
  it("is the code of examples/readme.ts, runs, and prints what it says", async () => {
    const logs = await runReadmeExample(fileURLToPath(new URL("..", import.meta.url)));
    expect(logs[0]).toMatch(/^tower: \d+, \d+, \d+, \d+, \d+$/);
    expect(logs[1]).toBe("the history is empty");
    expect(logs[2]).toBe("popularity: 5 items");
  });
});

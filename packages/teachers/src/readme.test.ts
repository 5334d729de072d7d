import { fileURLToPath } from "node:url";
import { runReadmeExample } from "@kdrec/testing";
import { describe, expect, it } from "vitest";

describe("README example", () => {
  it("is the code of examples/readme.ts, runs, and prints what it says", async () => {
    const logs = await runReadmeExample(fileURLToPath(new URL("..", import.meta.url)));
    expect(logs[0]).toBe("mf-128: 102400 parameters");
    expect(logs[1]).toMatch(/^user 0 scores items 10 and 20 at -?\d\.\d{3} and -?\d\.\d{3}$/);
    expect(logs[2]).toMatch(/^user 0's top item: \d+$/);
    expect(logs[3]).toBe(`neumf: ${(300 + 500) * (16 + 16) + 32 * 16 + 16 + 16 * 8 + 8 + 16 + 8} parameters`);
    // items 3, 5, 7: listed 0.4 and 0.9; item 5 unlisted, one rank gap (0.5) below the last
    expect(logs[4]).toBe("user 1's list: 0.40 -0.10 0.90");
  });
});

import { fileURLToPath } from "node:url";
import { runReadmeExample } from "@kdrec/testing";
import { describe, expect, it } from "vitest";

describe("README example", () => {
  it("is the code of examples/readme.ts, runs, and prints what it says", async () => {
    const logs = await runReadmeExample(fileURLToPath(new URL("..", import.meta.url)));
    expect(logs[0]).toMatch(/^model: \w+, \w+, \w+, \w+, \w+$/);
    expect(logs[1]).toBe("model: 5 items");
    expect(logs[2]).toMatch(/^because of (12|40|41|7)$/);
    expect(logs[3]).toBe('popularity (unknown user "no-such-user")');
  });
});

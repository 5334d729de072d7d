import { fileURLToPath } from "node:url";
import { runReadmeExample } from "@kdrec/testing";
import { describe, expect, it } from "vitest";

describe("README example", () => {
  it("is the code of examples/readme.ts, runs, and prints what it says", async () => {
    const logs = await runReadmeExample(fileURLToPath(new URL("..", import.meta.url)));
    expect(logs[0]).toBe("teacher-mf32 teacher, mf4-nokd student, mf4-soft-label student");
    expect(logs[1]).toMatch(/^model +role +params +test ndcg@10/);
  });
});

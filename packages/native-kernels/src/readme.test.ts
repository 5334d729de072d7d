// Keeps the README's example honest: the block it shows is examples/readme.ts, and that file runs.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const example = readFileSync(new URL("../examples/readme.ts", import.meta.url), "utf8");

afterEach(() => vi.restoreAllMocks());

describe("README example", () => {
  it("is the code of examples/readme.ts", () => {
    expect(/## Example\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1]).toBe(example);
  });

  it("runs and prints what its comments say", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    await import("../examples/readme.js");
    expect(log.mock.calls.map(([line]) => line)).toEqual([
      "kernels: KdrecHeldOutRanks, KdrecTopKExcluding, KdrecScoreTopKExcluding, listBatches, bprBatches",
      "[[0,3],[1,2]]",
      "[2,1]",
    ]);
  });
});

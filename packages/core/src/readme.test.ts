// Keeps the README's example honest: the block it shows is examples/readme.ts, and that file runs.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const example = readFileSync(new URL("../examples/readme.ts", import.meta.url), "utf8");

afterEach(() => vi.restoreAllMocks());

describe("README example", () => {
  it("is the code of examples/readme.ts", () => {
    expect(/```ts\n([\s\S]*?)```/.exec(readme)?.[1]).toBe(example);
  });

  it("runs and prints what its comments say", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await import("../examples/readme.js");
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/^backend: (tensorflow|cpu)$/));
    expect(error).toHaveBeenCalledWith(
      "run.json: invalid configuration (1 problem)\n  alpha: expected a number in [0, 1], got 1.3",
    );
  });
});

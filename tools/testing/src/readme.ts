// Keeps a package README's example honest: the ```ts block under its "## Example" heading must be
// examples/readme.ts, and the example must run (other snippets may come before it). Returns what it logged, for the package's test to check.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, vi } from "vitest";

/** Asserts the README shows examples/readme.ts, runs the example and returns its console.log lines. */
export const runReadmeExample = async (packageDir: string): Promise<unknown[]> => {
  const shown = /## Example\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(
    readFileSync(join(packageDir, "README.md"), "utf8"),
  )?.[1];
  expect(shown, "README.md's example is examples/readme.ts (run `npm run format` to sync)").toBe(
    readFileSync(join(packageDir, "examples/readme.ts"), "utf8"),
  );
  const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    await import(/* @vite-ignore */ join(packageDir, "examples/readme.ts"));
    return log.mock.calls.map((call) => call[0]);
  } finally {
    log.mockRestore();
  }
};

/**
 * Which kdrec produced a result: the version, and the git commit of its source when it runs from
 * a checkout (with `dirty` when the checkout has uncommitted changes).
 * @module
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** kdrec's version (the CLI package's). */
export const VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

const git = (args: string[]): string =>
  execFileSync("git", args, { cwd: dirname(fileURLToPath(import.meta.url)), stdio: ["ignore", "pipe", "ignore"] })
    .toString()
    .trim();

/** The version, and the commit when the code runs from a git checkout. */
export const buildInfo = (): { version: string; commit?: string; dirty?: boolean } => {
  try {
    return { version: VERSION, commit: git(["rev-parse", "HEAD"]), dirty: git(["status", "--porcelain"]) !== "" };
  } catch {
    return { version: VERSION };
  }
};

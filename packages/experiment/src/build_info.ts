/**
 * Which kdrec produced a result: the version, and the git commit of its source when it runs from
 * a checkout (with `dirty` when the checkout has uncommitted changes).
 * @module
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * kdrec's version (this package's; every kdrec package carries the same).
 * @category Files
 */
export const KDREC_VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

const git = (args: string[]): string =>
  execFileSync("git", args, { cwd: dirname(fileURLToPath(import.meta.url)), stdio: ["ignore", "pipe", "ignore"] })
    .toString()
    .trim();

/**
 * The version, and the commit when the code runs from a git checkout (what `config.resolved.json`
 * records).
 * @category Files
 */
export const kdrecBuildInfo = (): { version: string; commit?: string; dirty?: boolean } => {
  try {
    return { version: KDREC_VERSION, commit: git(["rev-parse", "HEAD"]), dirty: git(["status", "--porcelain"]) !== "" };
  } catch {
    return { version: KDREC_VERSION };
  }
};

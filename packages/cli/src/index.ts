/**
 * `@kdrec/cli`: the `kdrec` command. Run `npx kdrec --help` at the repository root after set-up.
 * Its one export runs the command in-process, for tests and for scripts that embed it.
 * @packageDocumentation
 */

export type { CommandIo } from "./io.js";
export { HELP, main } from "./main.js";

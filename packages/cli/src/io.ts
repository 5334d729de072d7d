/**
 * Where a command writes: results to `out`, errors and progress to `err` (so results can be
 * piped), and whether `err` is a terminal (progress bars) or a log (plain lines).
 * @module
 */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly interactive: boolean;
}

/** The process's own streams. */
export const processIo = (): CommandIo => ({
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
});

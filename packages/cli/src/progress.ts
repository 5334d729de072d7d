/**
 * Progress of long reads: a redrawn bar on a terminal, a plain line every 25% in a log.
 * @module
 */
import type { CommandIo } from "./io.js";

const WIDTH = 30;

/** A progress callback for one task per file; call `done()` to finish the last bar. */
export const fileProgress = (io: CommandIo, verb: string) => {
  let current = "";
  let lastQuarter = -1;
  let lastDraw = 0;
  const finish = () => {
    if (current !== "" && io.interactive) io.err("\n");
  };
  return {
    update(file: string, done: number, total: number): void {
      if (file !== current) {
        finish();
        current = file;
        lastQuarter = -1;
      }
      const fraction = total > 0 ? Math.min(1, done / total) : 1;
      if (io.interactive) {
        const now = Date.now();
        if (fraction < 1 && now - lastDraw < 100) return;
        lastDraw = now;
        const filled = Math.round(fraction * WIDTH);
        io.err(
          `\r${verb} ${file} [${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`,
        );
      } else {
        const quarter = Math.floor(fraction * 4);
        if (quarter > lastQuarter) {
          lastQuarter = quarter;
          io.err(`${verb} ${file}: ${quarter * 25}%\n`);
        }
      }
    },
    done: finish,
  };
};

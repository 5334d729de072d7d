/**
 * Progress of `kdrec run`. On a terminal: one live bar per model and seed in training (epoch,
 * batches, rate, time left in the epoch) through cli-progress, with each epoch's summary printed
 * above the bars, which are cleared before the result table. Off a terminal (a log, CI): one line
 * per epoch and per model. `--quiet`: nothing but errors and the table.
 * @module
 */
import { describeEvent, type ExperimentEvent } from "@kdrec/experiment";
import cliProgress from "cli-progress";
import type { CommandIo } from "./io.js";

/** Listens to a run's events; `stop()` clears the bars before anything else is printed. */
export interface TrainingProgress {
  readonly onEvent: (event: ExperimentEvent) => void;
  readonly stop: () => void;
}

const lineOf = (event: ExperimentEvent, backend: string): string | undefined => {
  const text = describeEvent(event);
  if (text === undefined) return undefined;
  return event.kind === "start" ? `kdrec run: ${text}, backend ${backend}` : text;
};

/** Progress on `io.err` (bars on `stream`, the terminal behind it, when `io` is interactive). */
export const trainingProgress = (
  io: CommandIo,
  options: { readonly quiet?: boolean; readonly backend: string; readonly stream?: NodeJS.WriteStream },
): TrainingProgress => {
  if (options.quiet === true) return { onEvent: () => undefined, stop: () => undefined };
  if (!io.interactive) {
    return {
      onEvent: (event) => {
        const line = lineOf(event, options.backend);
        if (line !== undefined) io.err(`${line}\n`);
      },
      stop: () => undefined,
    };
  }
  const bars = new cliProgress.MultiBar(
    {
      stream: options.stream ?? process.stderr,
      format:
        "{model} seed {seed} epoch {epoch} |{bar}| {value}/{total} batches | {rate} batches/s | {eta_formatted} left",
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const live = new Map<string, { bar: cliProgress.SingleBar; started: number; epoch: number }>();
  return {
    onEvent: (event) => {
      if (event.kind === "batch") {
        const key = `${event.model}#${event.seed}`;
        let entry = live.get(key);
        if (entry === undefined || entry.epoch !== event.epoch) {
          if (entry !== undefined) bars.remove(entry.bar);
          const bar = bars.create(event.total, 0, {
            model: event.model,
            seed: event.seed,
            epoch: event.epoch,
            rate: "-",
          });
          entry = { bar, started: performance.now(), epoch: event.epoch };
          live.set(key, entry);
        }
        const seconds = (performance.now() - entry.started) / 1000;
        entry.bar.update(event.done, { rate: seconds > 0 ? (event.done / seconds).toFixed(0) : "-" });
        return;
      }
      if (event.kind === "model") {
        const key = `${event.result.name}#${event.result.seed}`;
        const entry = live.get(key);
        if (entry !== undefined) bars.remove(entry.bar);
        live.delete(key);
      }
      const line = lineOf(event, options.backend);
      if (line === undefined) return;
      bars.log(`${line}\n`);
      // Logs are written when the bars redraw: with none live, redraw now.
      if (live.size === 0) bars.update();
    },
    stop: () => {
      bars.update(); // what is still in the log buffer
      bars.stop();
    },
  };
};

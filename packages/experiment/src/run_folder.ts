/**
 * A run's folder (Node-only): opened — checked, created — before any data or engine is loaded,
 * then given the run, which writes `config.resolved.json`, `metrics.jsonl` (one line per epoch),
 * the checkpoints and model bundles (through {@link fileStore}) and `results.json`. This is what
 * `kdrec run` does with its `--out`.
 * @module
 */
import { constants, existsSync } from "node:fs";
import { access, appendFile, lstat, mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type KdrecError, kdrecError } from "@kdrec/core";
import { type KernelPool, MAX_POOL_THREADS } from "@kdrec/students";
import { startKernelPool } from "@kdrec/students/node";
import type { EpochRecord } from "@kdrec/train";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { kdrecBuildInfo } from "./build_info.js";
import { fileStore, writeFileAtomic } from "./file_store.js";
import { defaultRegistry } from "./registry.js";
import { resolveExperiment } from "./resolved.js";
import type { ExperimentResult } from "./results.js";
import { type ExperimentOptions, prepareExperiment } from "./run.js";
import type { ExperimentSpec } from "./spec.js";

/** The most threads `RunOptions.threads` may ask for (a kernel pool's limit). */
export { MAX_POOL_THREADS };

/**
 * One line of a run's `metrics.jsonl`: an epoch of one model and seed. JSON has no NaN, so the
 * loss of an epoch that computes none (ALS) reads back as `null`.
 * @category Files
 */
export type MetricsLine = { readonly model: string; readonly seed: number; readonly loss: number | null } & Omit<
  EpochRecord,
  "loss"
>;

/** What `kdrec run` writes into its folder (the report and TensorBoard logs included). */
const RUN_OUTPUTS = [
  "results.json",
  "metrics.jsonl",
  "config.resolved.json",
  "models",
  "checkpoints",
  "report.html",
  "tensorboard",
];

/**
 * Checks `out` and makes it ready for a run. It must be a new or empty folder, or — with `resume`
 * — a previous run's (it holds `config.resolved.json`); `overwrite` removes a previous run's
 * outputs first. Refused: an empty path, a file, a folder that cannot be
 * written, another folder's contents, and outputs that are symlinks (writes would leave `out`).
 */
const prepareRunFolder = async (
  out: string,
  options: { readonly resume?: boolean; readonly overwrite?: boolean } = {},
): Promise<E.Either<KdrecError, void>> => {
  const fail = (message: string) => E.left(kdrecError("IO", message, out === "" ? "--out" : out));
  if (out.trim() === "") return fail("is empty: name the folder to write the run into");
  let entries: string[] = [];
  try {
    const stats = await stat(out);
    if (!stats.isDirectory()) return fail("is a file, not a folder");
    entries = await readdir(out);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") return fail((error as Error).message);
  }
  for (const name of RUN_OUTPUTS.filter((n) => entries.includes(n)))
    if ((await lstat(join(out, name))).isSymbolicLink())
      return fail(`${name} is a symbolic link: kdrec writes only inside the run's folder`);
  if (entries.length > 0 && options.overwrite === true)
    for (const name of RUN_OUTPUTS) await rm(join(out, name), { recursive: true, force: true });
  else if (entries.length > 0 && options.resume !== true)
    return fail(
      entries.includes("config.resolved.json")
        ? "holds a previous run: --resume to continue it, --overwrite to replace it, or another folder"
        : "is not empty and holds no kdrec run: choose another folder",
    );
  else if (entries.length > 0 && !entries.includes("config.resolved.json"))
    return fail("holds no kdrec run to resume (no config.resolved.json)");
  try {
    await mkdir(out, { recursive: true });
    await access(out, constants.W_OK);
  } catch (error) {
    return fail(`cannot be written (${(error as { code?: string }).code ?? (error as Error).message})`);
  }
  return E.right(undefined);
};

/**
 * Options of {@link RunFolder.run}: an experiment's options (the folder is the store), with the
 * threads given as a count.
 * @category Files
 */
export type RunOptions = Omit<ExperimentOptions, "store" | "threads"> & {
  /**
   * Threads for MF's whole epochs (the task loss alone, soft-label distillation; `kdrec run --threads`): a kernel pool of
   * that many is started for the run, recorded in `config.resolved.json` and stopped at the end.
   */
  readonly threads?: number;
};

/**
 * A run folder, open and ready.
 * @category Files
 */
export interface RunFolder {
  readonly path: string;
  /**
   * Runs `spec` into the folder (with `resume`, continuing from its checkpoints). A spec that
   * cannot run fails before anything is written, and the folder is discarded.
   */
  run(spec: ExperimentSpec, options: RunOptions): Promise<E.Either<KdrecError, ExperimentResult>>;
  /** Removes the folder if opening it created it (for a run that failed before it started). */
  discard(): Promise<void>;
}

/**
 * Opens `out` for a run: see the module's description for what it accepts and refuses.
 * @example
 * ```ts
 * const folder = await openRunFolder("runs/mine", { resume: true });
 * if (E.isRight(folder)) await folder.right.run(spec, { data });
 * ```
 * @category Files
 */
export const openRunFolder = async (
  out: string,
  options: { readonly resume?: boolean; readonly overwrite?: boolean } = {},
): Promise<E.Either<KdrecError, RunFolder>> => {
  const created = !existsSync(out);
  const prepared = await prepareRunFolder(out, options);
  if (E.isLeft(prepared)) return prepared;
  const resume = options.resume === true;
  const discard = async () => {
    if (created) await rm(out, { recursive: true, force: true });
  };
  // The run itself, on the threads started for it (if any).
  const runInto = async (
    spec: ExperimentSpec,
    runOptions: Omit<RunOptions, "threads">,
    threads: KernelPool | undefined,
  ): Promise<E.Either<KdrecError, ExperimentResult>> => {
    const metricsFile = join(out, "metrics.jsonl");
    let metricsWritten: Promise<void> = Promise.resolve();
    const experiment = prepareExperiment(spec, {
      ...runOptions,
      ...(threads === undefined ? {} : { threads }),
      store: fileStore(out, resume),
      onEvent: (event) => {
        if (event.kind === "epoch") {
          const record: MetricsLine = { model: event.model, seed: event.seed, ...event.record };
          const line = `${JSON.stringify(record)}\n`;
          metricsWritten = metricsWritten.then(() => appendFile(metricsFile, line));
        }
        runOptions.onEvent?.(event);
      },
    });
    if (E.isLeft(experiment)) {
      await discard();
      return experiment;
    }
    await mkdir(join(out, "models"), { recursive: true });
    if (!resume) await writeFile(metricsFile, "");
    const registry = runOptions.registry ?? defaultRegistry;
    // Threads change how MF trains (Hogwild is not reproducible): recorded beside the version.
    const build = {
      ...kdrecBuildInfo(),
      ...(threads === undefined ? {} : { threads: threads.threads }),
    };
    const resolved = { kdrec: build, ...resolveExperiment(spec, registry, runOptions.seeds) };
    await writeFileAtomic(join(out, "config.resolved.json"), `${JSON.stringify(resolved, null, 2)}\n`);
    const result = await experiment.right();
    await metricsWritten;
    if (E.isLeft(result)) return result;
    const { dataset, protocol, models, summaries, comparisons } = result.right;
    const engine = { backend: tf.getBackend(), tfjs: tf.version_core };
    const document = { dataset, protocol, engine, models, summaries, comparisons };
    await writeFileAtomic(join(out, "results.json"), `${JSON.stringify(document, null, 2)}\n`);
    return result;
  };
  return E.right({
    path: out,
    discard,
    run: async (spec, { threads: threadCount, ...runOptions }) => {
      const threads = threadCount === undefined ? undefined : await startKernelPool({ threads: threadCount });
      try {
        return await runInto(spec, runOptions, threads);
      } finally {
        await threads?.close();
      }
    },
  });
};

/**
 * `kdrec run [CONFIG.json] --out DIR [--data-dir DIR] [--seeds N] [--resume | --overwrite]
 * [--duplicates P] [--threads N] [--quiet]`: reads the config, loads the dataset and runs it into `DIR` through
 * `@kdrec/experiment`'s `openRunFolder` (which writes `results.json`, `metrics.jsonl`, the models
 * and checkpoints), with TensorBoard scalars and, at the end, `report.html` (`@kdrec/report`);
 * shows progress and prints the table. With no config it runs the small default experiment on
 * the synthetic data.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { decodeConfig, formatKdrecError, initEngine, type KdrecError, kdrecError } from "@kdrec/core";
import { loadDataset } from "@kdrec/data/node";
import {
  DEFAULT_EXPERIMENT,
  type ExperimentSpec,
  experimentSpec,
  isExternal,
  MAX_POOL_THREADS,
  openRunFolder,
  resultTable,
} from "@kdrec/experiment";
import type { TeacherTargets } from "@kdrec/model-kit";
import { type ScalarWriterFactory, tensorboardLog } from "@kdrec/report";
import { writeReport } from "@kdrec/report/node";
import { readTopKListsFile } from "@kdrec/teachers/node";
import * as E from "fp-ts/lib/Either.js";
import { duplicatesOption } from "./dataset_args.js";
import type { CommandIo } from "./io.js";
import { positiveIntegerOption } from "./options.js";
import { trainingProgress } from "./training_progress.js";

/** tfjs-node's summary writer, loaded only where TensorBoard logs are written. */
const summaryWriters = async (): Promise<ScalarWriterFactory> => {
  const tfNode = await import("@tensorflow/tfjs-node");
  return (dir) => tfNode.node.summaryFileWriter(dir);
};

const readConfig = (path: string | undefined): E.Either<KdrecError, ExperimentSpec> => {
  if (path === undefined) return E.right(DEFAULT_EXPERIMENT);
  if (!existsSync(path)) return E.left(kdrecError("IO", "no such file", path));
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    return E.left(kdrecError("INVALID_CONFIG", `not valid JSON: ${(error as Error).message}`, path));
  }
  return decodeConfig(experimentSpec(), json, path);
};

/** Runs `kdrec run` with parsed options. */
export const runCommand = async (
  values: {
    config?: string;
    out?: string;
    "data-dir"?: string;
    seeds?: string;
    resume?: boolean;
    overwrite?: boolean;
    duplicates?: string;
    threads?: string;
    quiet?: boolean;
  },
  io: CommandIo,
): Promise<E.Either<KdrecError, void>> => {
  if (values.out === undefined)
    return E.left(kdrecError("INVALID_ARGUMENT", "is required: the folder to write results into", "--out"));
  const read = readConfig(values.config);
  if (E.isLeft(read)) return read;
  const duplicates = duplicatesOption(values.duplicates, read.right.dataset.format);
  if (E.isLeft(duplicates)) return duplicates;
  // --duplicates overrides the config's policy, and config.resolved.json records it.
  const policy = duplicates.right;
  const spec: ExperimentSpec =
    policy === undefined || read.right.dataset.format === "synthetic"
      ? read.right
      : { ...read.right, dataset: { ...read.right.dataset, duplicates: policy } };
  const count = values.seeds === undefined ? undefined : positiveIntegerOption(values.seeds, 1, "--seeds");
  if (count !== undefined && E.isLeft(count)) return count;
  const seeds = count === undefined ? undefined : Array.from({ length: count.right }, (_, i) => i + 1);
  const threadCount = values.threads === undefined ? undefined : positiveIntegerOption(values.threads, 1, "--threads");
  if (threadCount !== undefined && E.isLeft(threadCount)) return threadCount;
  if (threadCount !== undefined && threadCount.right > MAX_POOL_THREADS)
    return E.left(
      kdrecError("INVALID_ARGUMENT", `at most ${MAX_POOL_THREADS} threads, got ${threadCount.right}`, "--threads"),
    );
  const dataRoot = values["data-dir"] ?? process.env.KDREC_DATA_DIR;
  const dataset =
    "path" in spec.dataset && !isAbsolute(spec.dataset.path)
      ? {
          ...spec.dataset,
          path: dataRoot === undefined ? resolve(spec.dataset.path) : resolve(dataRoot, spec.dataset.path),
        }
      : spec.dataset;
  // The folder is checked before the engine and the data load, and discarded if the run fails first.
  const folder = await openRunFolder(values.out, {
    resume: values.resume === true,
    overwrite: values.overwrite === true,
  });
  if (E.isLeft(folder)) return folder;
  const discardOn = async (error: KdrecError) => {
    await folder.right.discard();
    return E.left(error);
  };
  const engine = await initEngine({ requireNative: process.env.CI === "true" })();
  if (E.isLeft(engine)) return discardOn(engine.left);
  if (engine.right.kernelsUnavailable !== undefined)
    io.err(
      `kdrec: note: evaluation and top-K run on TF.js ops, slower (kdrec's native kernels: ${engine.right.kernelsUnavailable})\n`,
    );
  const loaded = await loadDataset(dataset)();
  if (E.isLeft(loaded)) return discardOn(loaded.left);
  const { interactions } = loaded.right;
  let externalTargets: TeacherTargets | undefined;
  if (isExternal(spec.teacher)) {
    const configDir = values.config === undefined ? "." : dirname(values.config);
    const path = isAbsolute(spec.teacher.path) ? spec.teacher.path : resolve(configDir, spec.teacher.path);
    const lists = await readTopKListsFile(path, interactions.userIds, interactions.itemIds);
    if (E.isLeft(lists)) return discardOn(lists.left);
    externalTargets = lists.right;
  }
  const out = values.out;
  const progress = trainingProgress(io, { quiet: values.quiet === true, backend: engine.right.backend });
  // TensorBoard scalars need the native engine's summary writer.
  const tensorboard =
    engine.right.backend === "tensorflow"
      ? tensorboardLog(join(out, "tensorboard"), await summaryWriters())
      : undefined;
  let result: Awaited<ReturnType<typeof folder.right.run>>;
  try {
    result = await folder.right.run(spec, {
      data: loaded.right, // with its side information: titles go into the model bundles
      ...(seeds === undefined ? {} : { seeds }),
      ...(externalTargets === undefined ? {} : { externalTargets }),
      ...(threadCount === undefined ? {} : { threads: threadCount.right }),
      source: values.config ?? "default run",
      onEvent: (event) => {
        progress.onEvent(event);
        tensorboard?.onEvent(event);
      },
    });
  } finally {
    progress.stop();
    tensorboard?.close();
  }
  if (E.isLeft(result)) return result;
  io.out(resultTable(result.right));
  const report = await writeReport([out], join(out, "report.html"));
  // The results stand without their page: a report that cannot be written is a warning.
  if (E.isLeft(report)) io.err(`kdrec: warning: no report: ${formatKdrecError(report.left)}\n`);
  io.out(
    `\nwrote ${join(out, "results.json")}, ${join(out, "metrics.jsonl")}, ${join(out, "models")}/` +
      `${tensorboard === undefined ? "" : `, ${join(out, "tensorboard")}/`}` +
      `${E.isRight(report) ? ` and ${report.right} (open it in a browser)` : ""}\n`,
  );
  return E.right(undefined);
};

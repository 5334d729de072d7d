/**
 * `kdrec run [CONFIG.json] --out DIR [--data-dir DIR] [--seeds N] [--resume]`: reads the config,
 * loads the dataset and runs it into `DIR` through `@kdrec/experiment`'s `openRunFolder` (which
 * writes `results.json`, `metrics.jsonl`, the models and checkpoints); prints progress and the
 * table. With no config it runs the small default experiment on the synthetic data.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { decodeConfig, initEngine, type KdrecError, kdrecError } from "@kdrec/core";
import { loadDataset } from "@kdrec/data/node";
import {
  DEFAULT_EXPERIMENT,
  describeEvent,
  type ExperimentEvent,
  type ExperimentSpec,
  experimentSpec,
  isExternal,
  openRunFolder,
  resultTable,
} from "@kdrec/experiment";
import type { TeacherTargets } from "@kdrec/model-kit";
import { parseTopKLists } from "@kdrec/teachers";
import * as E from "fp-ts/lib/Either.js";
import { duplicatesOption } from "./dataset_args.js";
import type { CommandIo } from "./io.js";
import { positiveIntegerOption } from "./options.js";

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

/** Progress on stderr: a bar per epoch on a terminal, then a line per epoch and model. */
const reporter = (io: CommandIo, backend: string) => (event: ExperimentEvent) => {
  if (event.kind === "batch") {
    if (io.interactive)
      io.err(
        `\r[${event.model} seed ${event.seed}] epoch ${event.epoch} ${"#".repeat(Math.round((20 * event.done) / event.total)).padEnd(20, "-")} ${event.done}/${event.total}`,
      );
    return;
  }
  io.err(
    event.kind === "start" ? `kdrec run: ${describeEvent(event)}, backend ${backend}\n` : `${describeEvent(event)}\n`,
  );
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
  const loaded = await loadDataset(dataset)();
  if (E.isLeft(loaded)) return discardOn(loaded.left);
  const { interactions } = loaded.right;
  let externalTargets: TeacherTargets | undefined;
  if (isExternal(spec.teacher)) {
    const configDir = values.config === undefined ? "." : dirname(values.config);
    const path = isAbsolute(spec.teacher.path) ? spec.teacher.path : resolve(configDir, spec.teacher.path);
    if (!existsSync(path))
      return discardOn(kdrecError("IO", "no such file (the external teacher's top-K lists)", path));
    const lists = parseTopKLists(readFileSync(path, "utf8"), interactions.userIds, interactions.itemIds, path);
    if (E.isLeft(lists)) return discardOn(lists.left);
    externalTargets = lists.right;
  }
  const result = await folder.right.run(spec, {
    data: loaded.right, // with its side information: titles go into the model bundles
    ...(seeds === undefined ? {} : { seeds }),
    ...(externalTargets === undefined ? {} : { externalTargets }),
    source: values.config ?? "default run",
    onEvent: reporter(io, engine.right.backend),
  });
  if (E.isLeft(result)) return result;
  const out = values.out;
  io.out(resultTable(result.right));
  io.out(`\nwrote ${join(out, "results.json")}, ${join(out, "metrics.jsonl")} and ${join(out, "models")}/\n`);
  return E.right(undefined);
};

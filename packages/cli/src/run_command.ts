/**
 * `kdrec run [CONFIG.json] --out DIR [--data-dir DIR] [--seeds N] [--resume]`: reads the config,
 * loads the dataset and hands both to `@kdrec/experiment`'s `runExperiment`; keeps the files
 * (`DIR/results.json`, `DIR/metrics.jsonl` with one line per epoch, the models under
 * `DIR/models/`, checkpoints under `DIR/checkpoints/`) and prints progress and the table. With no
 * config it runs the small default experiment on the synthetic data.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { appendFile, mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { decodeConfig, initEngine, type KdrecError, kdrecError } from "@kdrec/core";
import { loadDataset } from "@kdrec/data/node";
import {
  DEFAULT_EXPERIMENT,
  defaultRegistry,
  describeEvent,
  type ExperimentEvent,
  type ExperimentSpec,
  experimentSpec,
  fileStore,
  isExternal,
  prepareExperiment,
  prepareRunFolder,
  resolveExperiment,
  resultTable,
  writeFileAtomic,
} from "@kdrec/experiment";
import type { TeacherTargets } from "@kdrec/model-kit";
import { parseTopKLists } from "@kdrec/teachers";
import * as E from "fp-ts/lib/Either.js";
import { buildInfo } from "./build_info.js";
import type { CommandIo } from "./io.js";

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

/** Progress on stderr (a bar per epoch on a terminal) and one JSON line per epoch in `metricsFile`. */
const reporter = (io: CommandIo, metricsFile: string, backend: string) => (event: ExperimentEvent) => {
  if (event.kind === "batch") {
    if (io.interactive)
      io.err(
        `\r[${event.model} seed ${event.seed}] epoch ${event.epoch} ${"#".repeat(Math.round((20 * event.done) / event.total)).padEnd(20, "-")} ${event.done}/${event.total}`,
      );
    return;
  }
  if (event.kind === "epoch")
    void appendFile(metricsFile, `${JSON.stringify({ model: event.model, seed: event.seed, ...event.record })}\n`);
  io.err(
    event.kind === "start" ? `kdrec run: ${describeEvent(event)}, backend ${backend}\n` : `${describeEvent(event)}\n`,
  );
};

/** Runs `kdrec run` with parsed options. */
export const runCommand = async (
  values: { config?: string; out?: string; "data-dir"?: string; seeds?: string; resume?: boolean; overwrite?: boolean },
  io: CommandIo,
): Promise<E.Either<KdrecError, void>> => {
  if (values.out === undefined)
    return E.left(kdrecError("INVALID_ARGUMENT", "is required: the folder to write results into", "--out"));
  const read = readConfig(values.config);
  if (E.isLeft(read)) return read;
  const spec = read.right;
  let seeds: number[] | undefined;
  if (values.seeds !== undefined) {
    const n = Number(values.seeds);
    if (!Number.isInteger(n) || n < 1)
      return E.left(kdrecError("INVALID_ARGUMENT", `expected a positive integer, got "${values.seeds}"`, "--seeds"));
    seeds = Array.from({ length: n }, (_, i) => i + 1);
  }
  const dataRoot = values["data-dir"] ?? process.env.KDREC_DATA_DIR;
  const dataset =
    "path" in spec.dataset && !isAbsolute(spec.dataset.path)
      ? {
          ...spec.dataset,
          path: dataRoot === undefined ? resolve(spec.dataset.path) : resolve(dataRoot, spec.dataset.path),
        }
      : spec.dataset;
  const created = !existsSync(values.out); // removed again if the run fails before writing anything
  const folder = await prepareRunFolder(values.out, {
    resume: values.resume === true,
    overwrite: values.overwrite === true,
  });
  if (E.isLeft(folder)) return folder;
  // A run that fails before it writes anything leaves no folder behind.
  const abandon = async <A>(failed: E.Left<A>) => {
    if (created) await rm(values.out!, { recursive: true, force: true });
    return failed;
  };
  const engine = await initEngine({ requireNative: process.env.CI === "true" })();
  if (E.isLeft(engine)) return engine;
  const loaded = await loadDataset(dataset)();
  if (E.isLeft(loaded)) return abandon(loaded);
  const { interactions } = loaded.right;
  let externalTargets: TeacherTargets | undefined;
  if (isExternal(spec.teacher)) {
    const configDir = values.config === undefined ? "." : dirname(values.config);
    const path = isAbsolute(spec.teacher.path) ? spec.teacher.path : resolve(configDir, spec.teacher.path);
    if (!existsSync(path)) return E.left(kdrecError("IO", "no such file (the external teacher's top-K lists)", path));
    const lists = parseTopKLists(readFileSync(path, "utf8"), interactions.userIds, interactions.itemIds, path);
    if (E.isLeft(lists)) return abandon(lists);
    externalTargets = lists.right;
  }
  const out = values.out;
  const metricsFile = join(out, "metrics.jsonl");
  const prepared = prepareExperiment(spec, {
    data: loaded.right, // with its side information: titles go into the model bundles
    ...(seeds === undefined ? {} : { seeds }),
    ...(externalTargets === undefined ? {} : { externalTargets }),
    store: fileStore(out, values.resume === true),
    source: values.config ?? "default run",
    onEvent: reporter(io, metricsFile, engine.right.backend),
  });
  if (E.isLeft(prepared)) return abandon(prepared);
  await mkdir(join(out, "models"), { recursive: true });
  if (values.resume !== true) await writeFile(metricsFile, "");
  const resolved = { kdrec: buildInfo(), ...resolveExperiment(spec, defaultRegistry, seeds) };
  await writeFileAtomic(join(out, "config.resolved.json"), `${JSON.stringify(resolved, null, 2)}\n`);
  const result = await prepared.right();
  if (E.isLeft(result)) return result;
  const summary = {
    dataset: result.right.dataset,
    protocol: result.right.protocol,
    engine: { backend: engine.right.backend, tfjs: engine.right.tfjsVersion },
    models: result.right.models,
    summaries: result.right.summaries,
    comparisons: result.right.comparisons,
  };
  await writeFileAtomic(join(out, "results.json"), `${JSON.stringify(summary, null, 2)}\n`);
  io.out(resultTable(result.right));
  io.out(`\nwrote ${join(out, "results.json")}, ${metricsFile} and ${join(out, "models")}/\n`);
  return E.right(undefined);
};

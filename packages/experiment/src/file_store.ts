/**
 * An experiment's files (Node-only): a checkpoint per model and seed as JSON under
 * `DIR/checkpoints/`, and each trained model as a model bundle (see `@kdrec/serving`) under
 * `DIR/models/<name>-seed<k>/`, which `loadRecommender` serves. Every file is written to a
 * temporary name and renamed, so a killed run leaves the previous file whole.
 * @module
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { SavedWeights } from "@kdrec/model-kit";
import { type BundleContents, encodeBundle } from "@kdrec/serving";
import { type CheckpointStore, checkpointFromJson, checkpointToJson } from "@kdrec/train";
import type { ExperimentStore, SavedModelMeta } from "./run.js";

/** Writes `text` (or bytes) to `path` through a temporary file and a rename. */
const writeWhole = async (path: string, content: string | Uint8Array): Promise<void> => {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.tmp`, content);
  await rename(`${path}.tmp`, path);
};

/**
 * A checkpoint store backed by `path`; with `resume` false, an existing file is ignored (and
 * overwritten).
 * @category Files
 */
export const checkpointFile = <W, S>(path: string, resume: boolean): CheckpointStore<W, S> => ({
  load: async () => (resume && existsSync(path) ? checkpointFromJson<W, S>(await readFile(path, "utf8")) : undefined),
  save: (checkpoint) => writeWhole(path, checkpointToJson(checkpoint)),
});

/** kdrec's version, as model bundles record it (this package's). */
const KDREC_VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

/**
 * Writes a model bundle into `dir` as a whole: the files go to a fresh temporary folder beside it,
 * which then replaces `dir` by renames, so a reader (or a killed run) never sees half a bundle.
 * @category Files
 */
export const writeBundle = async (dir: string, contents: BundleContents): Promise<void> => {
  const temporary = `${dir}.tmp-${process.pid}`;
  const previous = `${dir}.old-${process.pid}`;
  await rm(temporary, { recursive: true, force: true });
  await mkdir(temporary, { recursive: true });
  for (const { name, content } of encodeBundle(contents)) await writeFile(join(temporary, name), content);
  const existed = existsSync(dir);
  if (existed) await rename(dir, previous);
  await rename(temporary, dir);
  if (existed) await rm(previous, { recursive: true, force: true });
};

/** A trained model and what the run knows of it, as a bundle's contents. */
const bundleContents = (saved: SavedWeights, meta: SavedModelMeta): BundleContents => ({
  name: meta.name,
  architecture: saved.architecture,
  role: meta.role,
  seed: meta.seed,
  config: saved.config as Record<string, unknown>,
  parameters: saved.parameters,
  specFingerprint: meta.specFingerprint,
  kdrecVersion: KDREC_VERSION,
  spec: meta.spec,
  weights: saved.weights,
  ...meta.served,
});

/**
 * Checkpoints and models as files under `out` (what `kdrec run` uses; `resume` reads the
 * checkpoints back).
 * @example
 * ```ts
 * await runExperiment(spec, { data, store: fileStore("runs/mine", true) })();
 * ```
 * @category Files
 */
export const fileStore = (out: string, resume: boolean): ExperimentStore => ({
  checkpoints: (model, seed) => checkpointFile(join(out, "checkpoints", `${model}-seed${seed}.json`), resume),
  saveModel: (model, seed, saved, meta) =>
    writeBundle(join(out, "models", `${model}-seed${seed}`), bundleContents(saved, meta)),
});

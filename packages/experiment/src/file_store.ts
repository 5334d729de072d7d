/**
 * An experiment's files (Node-only): a checkpoint per model and seed as JSON under
 * `DIR/checkpoints/`, and each trained model in the TF.js weights format under `DIR/models/`
 * (`model.json`: kdrec's config plus a TF.js weights manifest; `weights.bin`: the float32 bytes,
 * readable by `tf.io.loadWeights`). Every file is written to a temporary name and renamed, so a
 * killed run leaves the previous file whole.
 * @module
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { NamedWeight } from "@kdrec/model-kit";
import { type CheckpointStore, checkpointFromJson, checkpointToJson } from "@kdrec/train";
import type { ExperimentStore } from "./run.js";

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

/**
 * Saves named float32 weights with kdrec's metadata (any architecture) into `dir`.
 * @category Files
 */
export const saveNamedWeights = async (
  dir: string,
  format: string,
  kdrec: Record<string, unknown>,
  weights: ReadonlyArray<NamedWeight>,
): Promise<void> => {
  const bytes = Buffer.concat(
    weights.map(({ values }) => Buffer.from(values.buffer, values.byteOffset, values.byteLength)),
  );
  const manifest = {
    format,
    kdrec,
    weightsManifest: [
      { paths: ["weights.bin"], weights: weights.map(({ name, shape }) => ({ name, shape, dtype: "float32" })) },
    ],
  };
  await writeWhole(join(dir, "weights.bin"), bytes);
  await writeWhole(join(dir, "model.json"), `${JSON.stringify(manifest, null, 2)}\n`);
};

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
    saveNamedWeights(
      join(out, "models", `${model}-seed${seed}`),
      saved.format,
      { architecture: saved.architecture, config: saved.config, parameters: saved.parameters, ...meta },
      saved.weights,
    ),
});

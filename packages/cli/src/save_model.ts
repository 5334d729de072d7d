/**
 * Saves trained models in the TF.js weights format: `model.json` (kdrec's config plus a TF.js
 * weights manifest) and `weights.bin` (the tensors' float32 bytes, concatenated), readable by
 * `tf.io.loadWeights` or kdrec's own loader. Files are staged and renamed.
 * @module
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { MatrixFactorization } from "@kdrec/students";

interface NamedWeight {
  readonly name: string;
  readonly shape: number[];
  readonly values: Float32Array;
}

/** Saves named float32 weights with kdrec's metadata (any architecture). */
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
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "weights.bin.tmp"), bytes);
  await writeFile(join(dir, "model.json.tmp"), `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(join(dir, "weights.bin.tmp"), join(dir, "weights.bin"));
  await rename(join(dir, "model.json.tmp"), join(dir, "model.json"));
};

export const saveMatrixFactorization = (
  model: MatrixFactorization,
  dir: string,
  meta: Record<string, unknown>,
): Promise<void> => {
  const { users, items, dim } = model.config;
  return saveNamedWeights(
    dir,
    "kdrec-mf",
    { architecture: "mf", config: model.config, parameters: model.parameterCount, ...meta },
    [
      { name: "user_factors", shape: [users, dim], values: model.userFactors },
      { name: "item_factors", shape: [items, dim], values: model.itemFactors },
      ...(model.itemBiases === undefined ? [] : [{ name: "item_biases", shape: [items], values: model.itemBiases }]),
    ],
  );
};

/**
 * The saver of a model that names its weights (NeuMF, the transformers, the tower, multi-task):
 * its config and parameter count go into `model.json` beside `meta`.
 */
export const namedWeightsSaver =
  (
    format: string,
    architecture: string,
    model: { readonly config: unknown; readonly parameterCount: number; namedWeights(): NamedWeight[] },
  ) =>
  (dir: string, meta: Record<string, unknown>): Promise<void> =>
    saveNamedWeights(
      dir,
      format,
      { architecture, config: model.config, parameters: model.parameterCount, ...meta },
      model.namedWeights(),
    );

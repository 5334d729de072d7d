/**
 * Saves a matrix factorization in the TF.js weights format: `model.json` (kdrec's config plus a
 * TF.js weights manifest) and `weights.bin` (the tensors' float32 bytes, concatenated), readable by
 * `tf.io.loadWeights` or kdrec's own loader.
 * @module
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { MatrixFactorization } from "@kdrec/students";

export const saveMatrixFactorization = async (
  model: MatrixFactorization,
  dir: string,
  meta: Record<string, unknown>,
): Promise<void> => {
  const { users, items, dim } = model.config;
  const tensors: Array<[string, number[], Float32Array]> = [
    ["user_factors", [users, dim], model.userFactors],
    ["item_factors", [items, dim], model.itemFactors],
    ...(model.itemBiases === undefined
      ? []
      : [["item_biases", [items], model.itemBiases] as [string, number[], Float32Array]]),
  ];
  const bytes = Buffer.concat(
    tensors.map(([, , values]) => Buffer.from(values.buffer, values.byteOffset, values.byteLength)),
  );
  const manifest = {
    format: "kdrec-mf",
    kdrec: { architecture: "mf", config: model.config, parameters: model.parameterCount, ...meta },
    weightsManifest: [
      { paths: ["weights.bin"], weights: tensors.map(([name, shape]) => ({ name, shape, dtype: "float32" })) },
    ],
  };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "weights.bin.tmp"), bytes);
  await writeFile(join(dir, "model.json.tmp"), `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(join(dir, "weights.bin.tmp"), join(dir, "weights.bin"));
  await rename(join(dir, "model.json.tmp"), join(dir, "model.json"));
};

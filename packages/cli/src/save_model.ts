/**
 * Saves trained models in the TF.js weights format: `model.json` (kdrec's config plus a TF.js
 * weights manifest) and `weights.bin` (the tensors' float32 bytes, concatenated), readable by
 * `tf.io.loadWeights` or kdrec's own loader. Files are staged and renamed.
 * @module
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { NamedWeight } from "@kdrec/model-kit";

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

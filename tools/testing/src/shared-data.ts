// Where the real datasets and the reference numbers are: beside the checkout in ../shared/, or
// where KDREC_DATA_DIR / KDREC_REFERENCE_DIR say. Never committed: the licences forbid it.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const shared = resolve(fileURLToPath(import.meta.url), "../../../../../shared");

/** The folder of dataset `name`; throws with the fix when it is absent (a missing dataset is a failure, not a skip). */
export const datasetDir = (name: string): string => {
  const dir = resolve(process.env.KDREC_DATA_DIR ?? resolve(shared, "datasets"), name);
  if (!existsSync(dir))
    throw new Error(`dataset ${name} not found at ${dir}: set KDREC_DATA_DIR to the folder that holds ${name}/`);
  return dir;
};

/** A JSON file of the PyTorch reference (`../shared/reference/`), parsed. */
export const referenceJson = (file: string): unknown => {
  const path = resolve(process.env.KDREC_REFERENCE_DIR ?? resolve(shared, "reference"), file);
  if (!existsSync(path)) throw new Error(`reference ${file} not found at ${path}: set KDREC_REFERENCE_DIR`);
  return JSON.parse(readFileSync(path, "utf8"));
};

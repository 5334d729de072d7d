// Test-only: where the real datasets are (never committed: their licences forbid it).
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** `KDREC_DATA_DIR`, else `../shared/datasets` beside the checkout; throws with the fix when absent. */
export const datasetDir = (name: string): string => {
  const root = process.env.KDREC_DATA_DIR ?? resolve(fileURLToPath(import.meta.url), "../../../../../shared/datasets");
  const dir = resolve(root, name);
  if (!existsSync(dir))
    throw new Error(`dataset ${name} not found at ${dir}: set KDREC_DATA_DIR to the folder that holds ${name}/`);
  return dir;
};

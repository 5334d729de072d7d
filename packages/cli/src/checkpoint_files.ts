/**
 * Checkpoints as files: one JSON file per model and seed, written to a temporary name and
 * renamed so that a killed run leaves the previous checkpoint intact.
 * @module
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { type CheckpointStore, checkpointFromJson, checkpointToJson } from "@kdrec/train";

/** A checkpoint store backed by `path`; with `resume` false, an existing file is ignored (and overwritten). */
export const checkpointFile = <W, S>(path: string, resume: boolean): CheckpointStore<W, S> => ({
  load: async () => (resume && existsSync(path) ? checkpointFromJson<W, S>(await readFile(path, "utf8")) : undefined),
  save: async (checkpoint) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, checkpointToJson(checkpoint));
    await rename(`${path}.tmp`, path);
  },
});

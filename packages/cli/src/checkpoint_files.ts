/**
 * Checkpoints as files: one JSON file per model and seed, typed arrays inlined as base64, written
 * to a temporary name and renamed so that a killed run leaves the previous checkpoint intact.
 * @module
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { CheckpointStore, FitCheckpoint } from "@kdrec/train";

const TYPED = { Float32Array, Float64Array, Int32Array } as const;
type TypedName = keyof typeof TYPED;

const encode = (_key: string, value: unknown): unknown => {
  for (const name of Object.keys(TYPED) as TypedName[]) {
    if (value instanceof TYPED[name]) {
      const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      return { $typed: name, base64: bytes.toString("base64") };
    }
  }
  return value === Number.NEGATIVE_INFINITY ? { $number: "-Infinity" } : value;
};

const decode = (_key: string, value: unknown): unknown => {
  if (typeof value !== "object" || value === null) return value;
  if ("$number" in value) return Number.NEGATIVE_INFINITY;
  if (!("$typed" in value)) return value;
  const { $typed, base64 } = value as { $typed: TypedName; base64: string };
  const bytes = Buffer.from(base64, "base64");
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new TYPED[$typed](copy.buffer);
};

/** A checkpoint store backed by `path`; with `resume` false, an existing file is ignored (and overwritten). */
export const checkpointFile = <W, S>(path: string, resume: boolean): CheckpointStore<W, S> => ({
  load: async () =>
    resume && existsSync(path) ? (JSON.parse(await readFile(path, "utf8"), decode) as FitCheckpoint<W, S>) : undefined,
  save: async (checkpoint) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, JSON.stringify(checkpoint, encode));
    await rename(`${path}.tmp`, path);
  },
});

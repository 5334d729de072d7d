/**
 * An experiment's files (Node-only): a checkpoint per model and seed as JSON under
 * `DIR/checkpoints/`, and each trained model as a model bundle (see `@kdrec/serving`) under
 * `DIR/models/<name>-seed<k>/`, which `loadRecommender` serves. Every file is written to a
 * temporary name and renamed, so a killed run leaves the previous file whole.
 * @module
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { SavedWeights } from "@kdrec/model-kit";
import { type BundleContents, encodeBundle } from "@kdrec/serving";
import { type CheckpointStore, checkpointFromJson, checkpointToJson } from "@kdrec/train";
import { KDREC_VERSION } from "./build_info.js";
import type { ExperimentStore, SavedModelMeta } from "./run.js";

/**
 * Writes `content` to `path` as a whole: into a fresh temporary file beside it (a random name,
 * opened with O_EXCL, so a file or symlink planted there is never followed), flushed to disk, then
 * renamed over `path`. A reader, or a run killed at any moment, sees the old file or the new one.
 * @example
 * ```ts
 * await writeFileAtomic("runs/a/results.json", JSON.stringify(results));
 * ```
 * @category Files
 */
export const writeFileAtomic = async (path: string, content: string | Uint8Array): Promise<void> => {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const file = await open(temporary, "wx");
  try {
    try {
      await file.writeFile(content);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }); // a full disk leaves no half-written temporary behind
    throw error;
  }
  await syncFolder(dirname(path));
};

/** Flushes a folder's entries (a rename into it) to disk, where the platform allows it. */
const syncFolder = async (dir: string): Promise<void> => {
  let folder: Awaited<ReturnType<typeof open>> | undefined;
  try {
    folder = await open(dir, "r");
    await folder.sync();
  } catch {
    // Some platforms and file systems cannot fsync a folder: the rename stands regardless.
  } finally {
    await folder?.close();
  }
};

/**
 * A checkpoint store backed by `path`; with `resume` false, an existing file is ignored (and
 * overwritten).
 * @category Files
 */
export const checkpointFile = <W, S>(path: string, resume: boolean): CheckpointStore<W, S> => ({
  load: async () => (resume && existsSync(path) ? checkpointFromJson<W, S>(await readFile(path, "utf8")) : undefined),
  save: (checkpoint) => writeFileAtomic(path, checkpointToJson(checkpoint)),
});

/**
 * Writes a model bundle into `dir` as a whole: the files go to a fresh temporary folder beside it,
 * which then replaces `dir` by renames, so a reader (or a killed run) never sees half a bundle.
 * @category Files
 */
export const writeBundle = async (dir: string, contents: BundleContents): Promise<void> => {
  const suffix = randomBytes(6).toString("hex");
  const temporary = `${dir}.${suffix}.tmp`;
  const previous = `${dir}.${suffix}.old`;
  await mkdir(dirname(dir), { recursive: true });
  await mkdir(temporary); // fails if anything is there: a fresh folder, never a planted one
  try {
    for (const { name, content } of encodeBundle(contents)) await writeFile(join(temporary, name), content);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
  const existed = existsSync(dir);
  if (existed) await rename(dir, previous);
  await rename(temporary, dir);
  if (existed) await rm(previous, { recursive: true, force: true });
  await syncFolder(dirname(dir));
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

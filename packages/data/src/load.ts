/**
 * One entry point for every dataset format: a {@link DatasetSpec} (an io-ts codec, so configs
 * and the command line share it) names the format and where the files are. Node-only for files.
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import * as t from "io-ts";
import { GenericOptions, loadDelimited, loadJsonLines } from "./generic.js";
import type { Dataset } from "./interactions.js";
import { type LoadProgress, loadMovieLens100K, loadMovieLensDat, loadMovieLensLatest } from "./movielens.js";
import { SyntheticOptions, syntheticDataset } from "./synthetic.js";

/**
 * The format names kdrec reads.
 * @category Loaders
 */
export const DATASET_FORMATS = ["ml-100k", "ml-1m", "ml-10m", "ml-latest", "delimited", "jsonl", "synthetic"] as const;
/**
 * One of {@link DATASET_FORMATS}.
 * @category Loaders
 */
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/**
 * Which dataset to load: a MovieLens folder, a generic file with its column mapping, or the
 * synthetic generator with its options.
 * @category Loaders
 */
export const DatasetSpec = t.union(
  [
    t.type({ format: t.keyof({ "ml-100k": null, "ml-1m": null, "ml-10m": null, "ml-latest": null }), path: t.string }),
    t.intersection([t.type({ format: t.keyof({ delimited: null, jsonl: null }), path: t.string }), GenericOptions]),
    t.intersection([t.type({ format: t.literal("synthetic") }), t.partial({ options: SyntheticOptions })]),
  ],
  "DatasetSpec",
);
/**
 * The decoded form of {@link DatasetSpec}.
 * @category Loaders
 */
export type DatasetSpec = t.TypeOf<typeof DatasetSpec>;

/**
 * Checks a format name, with the list of known names in the error.
 * @category Loaders
 */
export const parseDatasetFormat = (name: string): E.Either<KdrecError, DatasetFormat> =>
  (DATASET_FORMATS as ReadonlyArray<string>).includes(name)
    ? E.right(name as DatasetFormat)
    : E.left(
        kdrecError("INVALID_ARGUMENT", `unknown format "${name}" (known: ${DATASET_FORMATS.join(", ")})`, "format"),
      );

/**
 * Loads the dataset a spec names.
 * @example
 * ```ts
 * const data = await loadDataset({ format: "ml-100k", path: `${process.env.KDREC_DATA_DIR}/ml-100k` })();
 * ```
 * @category Loaders
 */
export const loadDataset =
  (spec: DatasetSpec, onProgress?: LoadProgress): TE.TaskEither<KdrecError, Dataset> =>
  async () => {
    switch (spec.format) {
      case "ml-100k":
        return loadMovieLens100K(spec.path, onProgress);
      case "ml-1m":
      case "ml-10m":
        return loadMovieLensDat(spec.path, spec.format, onProgress);
      case "ml-latest":
        return loadMovieLensLatest(spec.path, onProgress);
      case "delimited":
        return loadDelimited(spec.path, spec, onProgress);
      case "jsonl":
        return loadJsonLines(spec.path, spec, onProgress);
      case "synthetic":
        return E.right(syntheticDataset(spec.options));
    }
  };

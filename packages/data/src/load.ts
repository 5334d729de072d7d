/**
 * One entry point for every dataset format: a {@link DatasetSpec} (an io-ts codec, so configs
 * and the command line share it) names the format and where the files are. Node-only for files.
 * @module
 */
import { type KdrecError, kdrecError, type TaggedMember, taggedUnion } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import * as t from "io-ts";
import { loadAmazonReviews } from "./amazon.js";
import { GENERIC_OPTIONS, type GenericOptions, loadDelimited, loadJsonLines } from "./generic.js";
import type { Dataset } from "./interactions.js";
import { type LoadProgress, loadMovieLens100K, loadMovieLensDat, loadMovieLensLatest } from "./movielens.js";
import { SyntheticOptions, syntheticDataset } from "./synthetic.js";

/**
 * The format names kdrec reads.
 * @category Loaders
 */
export const DATASET_FORMATS = [
  "ml-100k",
  "ml-1m",
  "ml-10m",
  "ml-latest",
  "amazon-reviews",
  "delimited",
  "jsonl",
  "synthetic",
] as const;
/**
 * One of {@link DATASET_FORMATS}.
 * @category Loaders
 */
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/**
 * Which dataset to load: a MovieLens folder, an Amazon review file (`.json.gz` or its folder), a
 * generic file (`.gz` files are decompressed) with its column mapping, or the
 * synthetic generator with its options.
 * @category Loaders
 */
export type DatasetSpec =
  | { readonly format: "ml-100k" | "ml-1m" | "ml-10m" | "ml-latest" | "amazon-reviews"; readonly path: string }
  | ({ readonly format: "delimited" | "jsonl"; readonly path: string } & GenericOptions)
  | { readonly format: "synthetic"; readonly options?: SyntheticOptions };

const folderFormat = { required: { path: t.string }, optional: {} };
const fileFormat = {
  required: { path: t.string, ...GENERIC_OPTIONS.required },
  optional: GENERIC_OPTIONS.optional,
};
/**
 * The codec of a {@link DatasetSpec}: `format` picks the members (the valid formats are listed
 * when it is wrong); unknown keys are refused.
 * @category Loaders
 */
export const DatasetSpec: t.Type<DatasetSpec, DatasetSpec, unknown> = taggedUnion<DatasetSpec>(
  "format",
  () =>
    new Map<string, TaggedMember>([
      ...(["ml-100k", "ml-1m", "ml-10m", "ml-latest", "amazon-reviews"] as const).map(
        (format) => [format, folderFormat] as const,
      ),
      ["delimited", fileFormat],
      ["jsonl", fileFormat],
      ["synthetic", { required: {}, optional: { options: SyntheticOptions } }],
    ]),
  "DatasetSpec",
);

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
      case "amazon-reviews":
        return loadAmazonReviews(spec.path, onProgress);
      case "delimited":
        return loadDelimited(spec.path, spec, onProgress);
      case "jsonl":
        return loadJsonLines(spec.path, spec, onProgress);
      case "synthetic":
        return E.right(syntheticDataset(spec.options));
    }
  };

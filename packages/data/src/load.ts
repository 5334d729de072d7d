/**
 * One entry point for every dataset format: a {@link DatasetSpec} names the format and where the
 * files are (Node-only).
 * @module
 */
import type { KdrecError } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { loadAmazonReviews } from "./amazon.js";
import type { DatasetSpec, LoadProgress } from "./dataset_spec.js";
import { loadDelimited, loadJsonLines } from "./generic.js";
import type { Dataset } from "./interactions.js";
import { loadMovieLens100K, loadMovieLensDat, loadMovieLensLatest } from "./movielens.js";
import { syntheticDataset } from "./synthetic.js";

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
        return loadMovieLens100K(spec.path, onProgress, spec.duplicates);
      case "ml-1m":
      case "ml-10m":
        return loadMovieLensDat(spec.path, spec.format, onProgress, spec.duplicates);
      case "ml-latest":
        return loadMovieLensLatest(spec.path, onProgress, spec.duplicates);
      case "amazon-reviews":
        return loadAmazonReviews(spec.path, onProgress, spec.duplicates);
      case "delimited":
        return loadDelimited(spec.path, spec, onProgress);
      case "jsonl":
        return loadJsonLines(spec.path, spec, onProgress);
      case "synthetic":
        return E.right(syntheticDataset(spec.options));
    }
  };

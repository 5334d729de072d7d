/**
 * Amazon product reviews as the publisher ships them (McAuley et al., the 2014 "Amazon product
 * data" k-core files such as `reviews_Musical_Instruments_5.json.gz`): gzipped JSON Lines, one
 * review per line. Every review is an interaction: `reviewerID` the user, `asin` the item,
 * `overall` the 1–5 star rating, `unixReviewTime` the timestamp (whole days, so many of a user's
 * reviews tie; the protocol breaks ties by item id, that is by `asin`). Node-only.
 * @module
 */
import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { type KdrecError, kdrecError } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import type { LoadProgress } from "./dataset_spec.js";
import { loadJsonLines } from "./generic.js";
import type { Dataset, DuplicatePolicy } from "./interactions.js";

const REVIEW_COLUMNS = { user: "reviewerID", item: "asin", rating: "overall", timestamp: "unixReviewTime" };

/**
 * The review file a path names: the file itself, or the one `.json` / `.json.gz` file in a folder.
 */
const reviewFile = (path: string): E.Either<KdrecError, string> => {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch (error) {
    return E.left(kdrecError("IO", `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, path));
  }
  if (!isFolder) return E.right(path);
  const candidates = readdirSync(path).filter((name) => /\.json(\.gz)?$/.test(name));
  if (candidates.length === 1) return E.right(join(path, candidates[0]!));
  return E.left(
    kdrecError(
      "IO",
      candidates.length === 0
        ? "no .json or .json.gz review file in this folder"
        : `more than one review file (${candidates.join(", ")}): name the file`,
      path,
    ),
  );
};

/**
 * Loads an Amazon review file (or the folder holding one) as interactions with ratings 1–5 and
 * day-resolution timestamps. Users and items are numbered in the sorted order of their ids.
 * Rows repeating a (user, item) pair follow `duplicates` ({@link DuplicatePolicy}; default `refuse`).
 * @example
 * ```ts
 * const data = await loadAmazonReviews(`${process.env.KDREC_DATA_DIR}/amazon-musical-instruments`);
 * // Right: 10,261 interactions, 1,429 users, 900 items
 * ```
 * @category Loaders
 */
export const loadAmazonReviews = async (
  path: string,
  onProgress?: LoadProgress,
  duplicates: DuplicatePolicy = "refuse",
): Promise<E.Either<KdrecError, Dataset>> => {
  const file = reviewFile(path);
  if (E.isLeft(file)) return file;
  const loaded = await loadJsonLines(
    file.right,
    { columns: REVIEW_COLUMNS, ratingRange: [1, 5], duplicates },
    onProgress,
  );
  return E.map((data: Dataset): Dataset => ({ ...data, name: basename(path).replace(/\.json(\.gz)?$/, "") }))(loaded);
};

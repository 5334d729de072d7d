/**
 * `@kdrec/data/node`: the Node-only half of `@kdrec/data` — the file loaders and split files.
 *
 * - {@link loadDataset}: any {@link DatasetSpec} (MovieLens 100K / 1M / 10M / latest, Amazon
 *   reviews, generic delimited or JSON-lines files, `.gz` read as it streams), each failing with a
 *   `file:line` error;
 * - {@link writeSplitFiles}: a split as TSV files beside a `meta.json`.
 *
 * Kept apart from the main door so that `@kdrec/data` (and everything built on it, the serving
 * runtime included) bundles for a browser with no `node:` import reachable.
 * @packageDocumentation
 */
export { loadAmazonReviews } from "./amazon.js";
export type { DatasetSpec, LoadProgress } from "./dataset_spec.js";
export { loadDelimited, loadJsonLines } from "./generic.js";
export { loadDataset } from "./load.js";
export { loadMovieLens100K, loadMovieLensDat, loadMovieLensLatest } from "./movielens.js";
export { SPLIT_FILES, writeSplitFiles } from "./split_files.js";

/**
 * `@kdrec/data`: datasets as columnar interactions, and everything between a file and a batch.
 *
 * - loaders: MovieLens 100K / 1M / 10M / latest and generic delimited or JSON-lines files
 *   ({@link loadDataset}; Node-only), each failing with a `file:line` error;
 * - the seeded synthetic generator ({@link syntheticDataset}), kdrec's embedded default;
 * - splits: {@link leaveLastOut} (the standard protocol), {@link temporalSplit}, {@link randomSplit},
 *   and {@link writeSplitFiles};
 * - negative samplers and pointwise / pairwise / listwise / sequence batches.
 * @packageDocumentation
 */

export { loadAmazonReviews } from "./amazon.js";
export {
  asItemLists,
  entryUsers,
  indexBatches,
  type ListwiseBatch,
  listwiseBatches,
  type PairwiseBatch,
  type PointwiseBatch,
  pairwiseBatches,
  pointwiseBatches,
  type SequenceBatch,
  sequenceBatches,
} from "./batches.js";
export { ColumnMapping, GENERIC_OPTIONS, GenericOptions, loadDelimited, loadJsonLines } from "./generic.js";
export {
  concatInteractions,
  type Dataset,
  filterMinRating,
  type Interactions,
  type ItemSideInfo,
  numInteractions,
  numItems,
  numUsers,
  selectRows,
  type UserSideInfo,
} from "./interactions.js";
export {
  DATASET_FORMATS,
  type DatasetFormat,
  DatasetSpec,
  loadDataset,
  parseDatasetFormat,
} from "./load.js";
export { type LoadProgress, loadMovieLens100K, loadMovieLensDat, loadMovieLensLatest } from "./movielens.js";
export { itemPopularity, type NegativeSampler, popularityNegatives, uniformNegatives } from "./negative_sampling.js";
export { SPLIT_FILES, writeSplitFiles } from "./split_files.js";
export { leaveLastOut, randomSplit, type Split, SplitProtocol, splitBy, temporalSplit } from "./splits.js";
export { type DatasetStats, datasetStats, formatDatasetStats } from "./stats.js";
export { SyntheticOptions, syntheticDataset } from "./synthetic.js";
export {
  hasItem,
  itemsOf,
  sequencePositions,
  type UserItems,
  type UserTimelines,
  userItemSets,
  userSequences,
  userTimelines,
} from "./user_items.js";

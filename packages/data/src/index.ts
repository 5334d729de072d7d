/**
 * `@kdrec/data`: datasets as columnar interactions, and everything between a file and a batch.
 *
 * - which dataset to load ({@link DatasetSpec}); the file loaders themselves (MovieLens, Amazon
 *   reviews, generic delimited or JSON-lines files, each failing with a `file:line` error) are
 *   Node-only and have their own door, `@kdrec/data/node`, so this one bundles for a browser;
 * - the seeded synthetic generator ({@link syntheticDataset}), kdrec's embedded default;
 * - splits: {@link leaveLastOut} (the standard protocol), {@link temporalSplit}, {@link randomSplit};
 * - histories cut into sessions ({@link fillGroups}, {@link sessionGrouping});
 * - negative samplers and pointwise / pairwise / listwise / sequence batches.
 * @packageDocumentation
 */

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
export {
  ColumnMapping,
  DATASET_FORMATS,
  type DatasetFormat,
  DatasetSpec,
  GENERIC_OPTIONS,
  GenericOptions,
  type LoadProgress,
  parseDatasetFormat,
} from "./dataset_spec.js";
export {
  concatInteractions,
  type Dataset,
  DuplicatePolicy,
  filterMinRating,
  type Interactions,
  type ItemSideInfo,
  numInteractions,
  numItems,
  numUsers,
  selectRows,
  type UserSideInfo,
} from "./interactions.js";
export { itemPopularity, type NegativeSampler, popularityNegatives, uniformNegatives } from "./negative_sampling.js";
export { fillGroups, type GroupingOptions, sessionGrouping } from "./session_groups.js";
export {
  type FeatureLists,
  featureColumnNames,
  featureColumns,
  featureMeans,
  itemFeatureLists,
  type SideFeatures,
  userFeatureLists,
} from "./side_features.js";
export {
  coldItemsSplit,
  leaveLastOut,
  randomSplit,
  type Split,
  SplitProtocol,
  splitBy,
  temporalSplit,
} from "./splits.js";
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

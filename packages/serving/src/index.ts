/**
 * `@kdrec/serving`: trained models for live traffic, in Node or a browser (no TF.js, no `node:`
 * import reachable from here).
 *
 * - {@link loadRecommender}: a model bundle written by `kdrec run` (a folder or a URL) as a
 *   {@link Recommender}: original ids in and out, the user's seen items left out, `k` clamped to
 *   the catalogue, unknown users served from their history (the tower) or from popularity
 *   (flagged), `explain` for the tower's attention;
 * - the bundle format: {@link encodeBundle}, {@link readBundle} and their codecs;
 * - item scorers as plain typed-array arithmetic: {@link mfScorer} (MF and ALS), {@link featureMfScorer} (MF with side information),
 *   {@link towerScorer} (the hierarchical tower) — microseconds per request, no tensor op.
 * @packageDocumentation
 */
export {
  BUNDLE_FILES,
  BUNDLE_FORMAT,
  type BundleContents,
  type BundleFiles,
  type BundleSource,
  encodeBundle,
  HistoriesJson,
  ItemsJson,
  type ModelBundle,
  ModelJson,
  modelJsonSchema,
  readBundle,
  UsersJson,
} from "./bundle.js";
export { type History, type HistoryAttention, type ItemScorer, topK } from "./item_scorer.js";
export { featureMfScorer, type MfShape, mfScorer } from "./mf_scorer.js";
export {
  allUsersTopK,
  bundleRecommender,
  type Explanation,
  formatRecommendations,
  type LoadOptions,
  loadRecommender,
  type Recommendation,
  type Recommender,
  type RecommendRequest,
  type RecommendResult,
  type ScorerFactory,
  TYPED_ARRAY_SCORERS,
} from "./recommender.js";
export { bundleSource, folderSource, urlSource } from "./sources.js";
export { type NamedWeights, type TowerShape, towerScorer } from "./tower_scorer.js";

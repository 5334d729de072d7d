/**
 * `@kdrec/serving`: trained students for live traffic.
 *
 * - {@link towerRecommender}: the hierarchical tower as plain typed-array arithmetic — top-K for
 *   a user's history with no tensor op per request (microseconds), in Node or a browser; a clear
 *   error for an empty history, or the popularity fallback when the caller asks for it.
 * @packageDocumentation
 */
export {
  type History,
  type NamedWeights,
  type Recommendations,
  type Recommender,
  type RecommendOptions,
  towerRecommender,
} from "./tower_recommender.js";

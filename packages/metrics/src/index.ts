/**
 * `@kdrec/metrics`: how kdrec measures models.
 *
 * - full ranking ({@link evaluateFullRanking}): HR@K, NDCG@K, Recall@K, Precision@K and MRR, batched
 *   on the engine, with ties counted against the held-out item; {@link referenceFullRanking} is the
 *   plain loop it is tested against;
 * - per-user values, means with 95% confidence intervals ({@link summarise}) and the paired t-test
 *   ({@link pairedTTest}) between two models;
 * - pointwise metrics for rating and click tasks: {@link rmse}, {@link mae}, {@link auc}, {@link logLoss};
 * - popularity bias ({@link popularityReport}): NDCG@10 on the long tail and how popular the
 *   recommended items are.
 * @packageDocumentation
 */
export {
  type BatchScorer,
  ENGINE_RANKING_SCORES,
  evaluateFullRanking,
  type FullRankingOptions,
  type RankingReport,
  referenceFullRanking,
} from "./full_ranking.js";
export { auc, logLoss, mae, rmse } from "./pointwise.js";
export { longTailItems, type PopularityReport, popularityReport } from "./popularity.js";
export { metricNames, metricsFromRanks, writeMetrics } from "./ranking_metrics.js";
export {
  type MetricSummary,
  type PairedTest,
  pairedTTest,
  type RunSummary,
  studentCritical,
  studentTwoSidedP,
  summarise,
  summariseRuns,
} from "./statistics.js";

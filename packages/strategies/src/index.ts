/**
 * `@kdrec/strategies`: distillation strategies as typed values, and the per-batch plans through
 * which one trainer runs them all.
 *
 * - values and combinators: {@link Strategy}, {@link oneWay}, {@link withRatio}, {@link withTemperature},
 *   {@link withRounds}, {@link withFinetuning}, {@link describeStrategy};
 * - plans: {@link batchPlan} — a batch's item lists and its loss mixture.
 * @packageDocumentation
 */
export {
  type AlignedFeature,
  type BatchPlan,
  batchPlan,
  type Phase,
  type PlanContext,
  type ScoredLists,
} from "./plan.js";
export {
  DistillationLoss,
  describeStrategy,
  FeatureAlignmentSpec,
  listwiseRankingDistillation,
  lossNames,
  mseDistillation,
  noDistillation,
  type OneWay,
  oneWay,
  rankingDistillationLoss,
  Strategy,
  softLabel,
  type TwoWay,
  teacherTopKNeeded,
  twoWay,
  withFeatureAlignment,
  withFinetuning,
  withRatio,
  withRounds,
  withTeacherCandidates,
  withTemperature,
} from "./strategy.js";

/**
 * `@kdrec/strategies`: distillation strategies as typed values, the open table of distillation
 * losses, and the phases and per-batch plans through which one trainer runs them all.
 *
 * - values and combinators: {@link Strategy} (`none`, `one-way`, `two-way`), {@link oneWay},
 *   {@link withRatio}, {@link withTemperature}, {@link withRounds}, {@link withFinetuning},
 *   {@link describeStrategy}; defaults filled in once by {@link resolveStrategy};
 * - the loss table: {@link registerDistillationLoss} adds a loss (from any package) that configs
 *   and TypeScript can then name by its `kind`;
 * - schedules and plans: {@link strategyPhases} — the phases a strategy trains in, each with a
 *   {@link BatchPlan} (a batch's item lists, and the step that trains on them).
 * @packageDocumentation
 */
export { type CandidateSampler, listsWithCandidates, sampledItems, topOf, uniformItems } from "./candidates.js";
export {
  type CatalogueDraw,
  DistillationLoss,
  type DistillationLossEntry,
  distillationLossKinds,
  type LossContext,
  type LossPlan,
  lossEntry,
  registerDistillationLoss,
} from "./loss_table.js";
export { type MseLoss, mseLoss } from "./mse_loss.js";
export { type PlanContext, type StrategyPhase, strategyPhases } from "./phases.js";
export {
  type BatchPlan,
  type BatchStep,
  type BoundPlan,
  bprTerm,
  type EpochContext,
  listEpoch,
  mixturePlan,
  negativeFirstBprTerm,
  type Parties,
  rowLists,
  taskOnlyPlan,
  teacherScores,
  type WholeEpoch,
  withFeatureTerm,
  withWholeEpoch,
} from "./plan.js";
export { rankDiscrepancySampler } from "./rank_discrepancy.js";
export {
  checkRepresentation,
  defaultRepresentationWeight,
  type ExpertsState,
  REPRESENTATION_DEFAULTS,
  RepresentationSpec,
  type ResolvedRepresentation,
  representationTermName,
  resolveRepresentation,
  withRepresentationDistillation,
} from "./representation.js";
export { checkRoundValue, describeRoundValue, type RoundValue, roundSchedule, roundValue } from "./round_values.js";
export { type RepresentationPair, type ScoredLists, scoredLists } from "./scored_lists.js";
export { type SoftLabelLoss, softLabelLoss, softLabelTerm } from "./soft_label_loss.js";
export {
  catalogueDraws,
  checkStrategy,
  describeStrategy,
  FeatureAlignmentSpec,
  type Finetune,
  listwiseRankingDistillation,
  lossNames,
  mseDistillation,
  type NoDistillation,
  noDistillation,
  ONE_WAY_DEFAULTS,
  type OneWay,
  oneWay,
  type ResolvedOneWay,
  type ResolvedStrategy,
  type ResolvedTwoWay,
  rankingDistillationLoss,
  resolveStrategy,
  Strategy,
  softLabel,
  TWO_WAY_DEFAULTS,
  type TwoWay,
  teacherTopKNeeded,
  twoWay,
  withFeatureAlignment,
  withFinetuning,
  withRatio,
  withRepresentation,
  withRounds,
  withTeacherCandidates,
  withTemperature,
} from "./strategy.js";
export {
  drawFromTeacherTop,
  type ListwiseRankingLoss,
  listwiseRankingLoss,
  type RankingLoss,
  rankingLoss,
  teacherTargets,
  teacherTopPlan,
} from "./teacher_top_losses.js";
export { type TermMeter, termMeter } from "./term_meter.js";
export { twoWayPlan } from "./two_way.js";
export { popularityGroups, type UnkdLoss, unkdLoss } from "./unkd_loss.js";

/**
 * `@kdrec/losses`: every loss kdrec trains with, as a pure function of typed tensors that returns
 * a scalar (and disposes its intermediates), plus mixtures of them as data.
 *
 * - task losses: {@link bprLoss} (and {@link rowBprLoss} on list rows), {@link binaryCrossEntropy}, {@link sampledSoftmaxCrossEntropy};
 * - distillation: {@link softLabelCrossEntropy} (listwise, T² scaled), {@link softBinaryCrossEntropy}
 *   (pointwise), {@link meanSquaredError} (logit matching), {@link featureAlignment} (hints through a
 *   learned projection), {@link rankingDistillation} (Tang & Wang) and {@link plackettLuceLoss} (RRD);
 * - representation distillation: {@link topologyLoss} and {@link hierarchicalTopologyLoss}
 *   (FTD / HTD), {@link gumbelSoftmax} and {@link expertAlignmentLoss} (distillation experts);
 * - mixtures: {@link lossTerm}, {@link mixtureLoss}, {@link weightAt} schedules, {@link describeMixture};
 * - closed forms on plain arrays ({@link rowBprGradient}, {@link softLabelGradient},
 *   {@link squaredErrorGradient}, {@link rankingDistillationGradient}, {@link plackettLuceGradient},
 *   {@link softBinaryCrossEntropyGradient})
 *   and {@link mixtureGradient}: training steps of models that take a score gradient, without the
 *   tensor engine; each describes itself to list kernels ({@link KernelTerm}), which take whole
 *   epochs of such steps.
 * @packageDocumentation
 */
export { binaryCrossEntropy } from "./binary_cross_entropy.js";
export { bprLoss, rowBprLoss } from "./bpr.js";
export {
  type ClosedFormLoss,
  closedFormOf,
  type KernelPart,
  type KernelTerm,
  kernelTermProblem,
  plackettLuceGradient,
  rankingDistillationGradient,
  readsTeacher,
  rowBprGradient,
  type ScoreArrays,
  softBinaryCrossEntropyGradient,
  softLabelGradient,
  squaredErrorGradient,
  withKernelTerms,
} from "./closed_form.js";
export { type FeatureAlignmentOptions, featureAlignment } from "./feature_alignment.js";
export {
  complement,
  describeMixture,
  describeSchedule,
  hasClosedForm,
  type LossTerm,
  lossTerm,
  mixtureGradient,
  mixtureLoss,
  mixtureSettings,
  type Schedule,
  type TrainingProgress,
  termBaseName,
  weightAt,
  withClosedForm,
} from "./mixture.js";
export { meanSquaredError } from "./mse.js";
export { plackettLuceLoss } from "./plackett_luce.js";
export { rankingDistillation, rankWeights } from "./ranking_distillation.js";
export {
  cosineSimilarities,
  expertAlignmentLoss,
  gumbelSoftmax,
  hierarchicalTopologyLoss,
  topologyLoss,
} from "./representation_distillation.js";
export { sampledSoftmaxCrossEntropy } from "./sampled_softmax.js";
export {
  rankDiscrepancyWeights,
  softBinaryCrossEntropy,
  softLabelCrossEntropy,
} from "./soft_label_cross_entropy.js";
export { stableSoftplus } from "./softplus.js";

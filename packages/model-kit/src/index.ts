/**
 * `@kdrec/model-kit`: kdrec's model contracts, each named once, and what models share.
 *
 * - batches and scoring: {@link ItemLists}, {@link Scorer}, {@link ScoringModel};
 * - training: {@link TrainableModel} (gradient steps), {@link ClosedFormModel} (ALS's epochs);
 * - teaching: {@link Teacher}, {@link TeacherTargets}, {@link TaskTeacher};
 * - the model registry's entry: {@link Architecture}, {@link defineArchitecture};
 * - shared machinery: {@link VariableModel} (a model over TF.js variables) and {@link denseAdam}.
 * @packageDocumentation
 */
export {
  type Architecture,
  type BuiltModel,
  builtVariableModel,
  defineArchitecture,
  type ModelContext,
  type ModelSpecBase,
  modelShape,
  type PhaseName,
  restoreNamed,
  type SavedWeights,
  type SpecOf,
  TRAINING_DEFAULTS,
  trainingOptions,
} from "./architecture.js";
export { type DenseAdam, type DenseAdamConfig, type DenseAdamState, denseAdam } from "./dense_adam.js";
export { type FeatureSource, frozenModel } from "./frozen_model.js";
export type { ItemLists, RowItemLists } from "./item_lists.js";
export { matchWeights, type NamedWeight } from "./named_weights.js";
export {
  type EntityLimit,
  type EntityRepresentations,
  gatherRows,
  type RepresentationGradients,
  type RepresentationLoss,
} from "./representations.js";
export type { Scorer, ScoringModel } from "./scorer.js";
export type { TeacherTargets } from "./targets.js";
export {
  type FactorTables,
  type FeatureTeacher,
  hasFeatures,
  hasRepresentations,
  type RepresentationTeacher,
  type TaskPredictions,
  type TaskTeacher,
  type Teacher,
} from "./teacher.js";
export {
  type AlignedFeature,
  type Checkpointable,
  type ClosedFormModel,
  inParts,
  isClosedForm,
  type ListEpoch,
  partNamesOf,
  type ScoreGradient,
  type TeacherScoreSource,
  type TrainableModel,
  type TrainingThreads,
  unknownPartsProblem,
} from "./trainable_model.js";
export { VariableModel, type VariableModelState } from "./variable_model.js";

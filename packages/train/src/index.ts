/**
 * `@kdrec/train`: one training loop for every strategy ({@link fit}) — seeded and deterministic,
 * early stopping on validation NDCG@10, the best epoch's weights kept, a record per epoch, and a
 * check that no tensor leaks across epochs.
 * @packageDocumentation
 */
export {
  type CheckpointStore,
  type EpochRecord,
  type FeatureTrainableModel,
  type FitCheckpoint,
  type FitOptions,
  type FitResult,
  fit,
  type PeerBest,
  type TrainableModel,
} from "./fit.js";

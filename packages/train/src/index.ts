/**
 * `@kdrec/train`: one training loop for every model and strategy ({@link fit}) — seeded and
 * deterministic, early stopping on validation NDCG@10 ({@link keepBest}, {@link nextPosition}), the
 * best epoch's weights kept, a record per epoch, checkpoints with exact resume, and a check that
 * no tensor leaks across epochs. Closed-form models (ALS) run through the same loop an epoch at a
 * time.
 * @packageDocumentation
 */
export { checkpointFromJson, checkpointToJson } from "./checkpoint_json.js";
export { type BestEpoch, keepBest, nextPosition, noBestEpoch } from "./early_stopping.js";
export {
  type CheckpointStore,
  type EpochRecord,
  type FitCheckpoint,
  type FitOptions,
  type FitResult,
  fit,
} from "./fit.js";

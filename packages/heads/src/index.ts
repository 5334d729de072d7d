/**
 * `@kdrec/heads`: multi-task heads on a shared student representation.
 *
 * - {@link MultiTaskModel}: rating regression, like prediction and ranking heads over a
 *   shared-bottom or MMoE bottom; task weights fixed or learned by uncertainty weighting;
 *   per-task distillation from a multi-task teacher, given when the model is created;
 * - {@link evaluateTasks}: RMSE/MAE and AUC/log-loss side by side (HR/NDCG come from the ranking
 *   head through `@kdrec/metrics`).
 * @packageDocumentation
 */
export { multiTaskArchitecture } from "./architecture.js";
export { evaluateTasks, type TaskMetrics } from "./evaluate_tasks.js";
export {
  type HeadDistillation,
  MultiTaskConfig,
  MultiTaskModel,
  type MultiTaskState,
  TASKS,
  type Task,
  type TaskDistillation,
  TaskWeights,
} from "./multi_task_model.js";

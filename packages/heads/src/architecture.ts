/**
 * The multi-task model's entry in the model registry (`multi-task`): its ranking head is what the
 * experiment ranks and distils by the strategy; its rating and like heads distil per head
 * (`taskDistillation`) from a multi-task teacher, and report RMSE/MAE and AUC/log-loss.
 * @module
 */
import {
  definedFields,
  integerInRange,
  kdrecError,
  numberInRange,
  positiveAtMost,
  seededRandom,
  strictType,
  unitInterval,
} from "@kdrec/core";
import { concatInteractions } from "@kdrec/data";
import {
  builtVariableModel,
  defineArchitecture,
  frozenModel,
  modelShape,
  TRAINING_DEFAULTS,
  trainingOptions,
} from "@kdrec/model-kit";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { evaluateTasks, type TaskMetrics } from "./evaluate_tasks.js";
import { MultiTaskModel, TASKS, TaskWeights } from "./multi_task_model.js";

/**
 * The multi-task model as an architecture of the registry.
 * @category Registry
 */
export const multiTaskArchitecture = defineArchitecture({
  name: "multi-task",
  parts: ["users", "items", "experts", "gates", "heads", ...TASKS.map((task) => `heads.${task}`), "logVariances"],
  summary: "rating, like and ranking heads over a shared-bottom or MMoE representation",
  required: { dim: integerInRange(1, 4096) },
  optional: {
    /** `shared-bottom` (default) or `mmoe`. */
    bottom: t.keyof({ "shared-bottom": null, mmoe: null }),
    /** Width of the bottom layer (and of each expert); default 32. */
    hidden: integerInRange(1, 4096),
    /** MMoE's experts; default 4. */
    experts: integerInRange(1, 64),
    /** `fixed` (default, `taskWeights`) or `uncertainty` (learned). */
    weighting: t.keyof({ fixed: null, uncertainty: null }),
    taskWeights: TaskWeights,
    /**
     * A student of a multi-task teacher: each head's distillation (rating: α; like: α and T); the
     * ranking head distils by `strategy`.
     */
    taskDistillation: strictType(
      {},
      {
        rating: strictType({ alpha: unitInterval }, {}, "RatingDistillation"),
        like: strictType({ alpha: unitInterval }, { temperature: positiveAtMost(100) }, "LikeDistillation"),
      },
      "TaskDistillation",
    ),
    l2: numberInRange(0, 100),
    learningRate: positiveAtMost(10),
    ...trainingOptions,
  },
  defaults: {
    bottom: "shared-bottom",
    hidden: 32,
    experts: 4,
    weighting: "fixed",
    taskWeights: { rating: 1, like: 1, ranking: 1 },
    l2: 0,
    learningRate: 1e-3,
    ...TRAINING_DEFAULTS,
  },
  create: (spec, context) => {
    const { split, taskTeacher } = context;
    if (spec.taskDistillation !== undefined && taskTeacher === undefined)
      return E.left(
        kdrecError(
          "INVALID_CONFIG",
          'per-task distillation needs a multi-task student of the run\'s multi-task teacher (architecture "multi-task")',
          `${spec.name}.taskDistillation`,
        ),
      );
    const { users, items } = modelShape(spec, context);
    const created = MultiTaskModel.create(
      {
        ...modelShape(spec, context),
        ...definedFields(spec, ["bottom", "hidden", "experts", "weighting", "taskWeights"]),
      },
      split.train,
      spec.taskDistillation === undefined || taskTeacher === undefined
        ? undefined
        : { teacher: taskTeacher, settings: spec.taskDistillation },
    );
    if (E.isLeft(created)) return E.left({ ...created.left, location: `${spec.name}.${created.left.location ?? ""}` });
    const model = created.right;
    return E.right({
      ...builtVariableModel(model, {
        name: spec.name,
        architecture: "multi-task",
        testScorer: () => model.allItemScorer(),
        freeze: (name) => frozenModel(model, { name, architecture: "multi-task", users, items }),
      }),
      taskTeacher: model,
      taskMetrics: () =>
        E.map((m: TaskMetrics) => ({ rmse: m.rmse, mae: m.mae, auc: m.auc, log_loss: m.logLoss }))(
          evaluateTasks(
            model,
            split.test,
            concatInteractions(split.train, split.valid),
            seededRandom(context.seed).split("tasks"),
          ),
        ),
    });
  },
  describe: (spec) => `multi-task d=${spec.dim}`,
});

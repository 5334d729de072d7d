/**
 * The model registry's entry: how an experiment finds, configures, creates, trains, saves,
 * restores and freezes one architecture. Each architecture declares its entry beside its model
 * (MF and ALS in `@kdrec/students`, NeuMF and the transformers in `@kdrec/teachers`, …); an
 * experiment looks architectures up by name, so adding one touches its own package and one
 * registration.
 * @module
 */
import { integerInRange, type KdrecError } from "@kdrec/core";
import { type Interactions, numItems, numUsers, type SideFeatures, type Split } from "@kdrec/data";
import * as E from "fp-ts/lib/Either.js";
import type * as t from "io-ts";
import { matchWeights, type NamedWeight } from "./named_weights.js";
import type { Scorer } from "./scorer.js";
import type { TeacherTargets } from "./targets.js";
import type { TaskTeacher, Teacher } from "./teacher.js";
import type { ClosedFormModel, TrainableModel } from "./trainable_model.js";

/**
 * Training phases: `train` (no teacher), or distillation rounds then fine-tuning on the task loss.
 * @category Contracts
 */
export type PhaseName = "train" | "distill" | "finetune";

/**
 * What an experiment knows when it creates a model.
 * @category Registry
 */
export interface ModelContext {
  readonly seed: number;
  readonly split: Split;
  /** Feature alignment: the widths of the teacher's features the student learns projections into. */
  readonly alignTo?: ReadonlyArray<number>;
  /**
   * One-way distillation into a closed-form model: the distillation ratio, and the teacher's
   * top-K when the strategy reads it (a closed-form model mixes it into its targets).
   */
  readonly teaching?: { readonly alpha: number; readonly targets?: TeacherTargets };
  /** Per-head distillation of a multi-task student: the multi-task teacher's heads. */
  readonly taskTeacher?: TaskTeacher;
  /** The dataset's side information as feature lists (item categories, user columns), where it has any. */
  readonly side?: SideFeatures;
}

/**
 * What a model saves: its resolved config and its weights by name.
 * @category Registry
 */
export interface SavedWeights {
  /** The architecture the weights load into. */
  readonly architecture: string;
  readonly config: unknown;
  readonly parameters: number;
  readonly weights: ReadonlyArray<NamedWeight>;
}

/**
 * A created model, as an experiment drives it.
 * @category Registry
 */
export interface BuiltModel {
  /** What the trainer steps (by gradient, or in closed form). */
  readonly model: TrainableModel | ClosedFormModel;
  /**
   * The architecture's own schedule, where it has one (ALS: its sweeps, with its own patience);
   * otherwise the strategy's phases.
   */
  readonly schedule?: { readonly phase: PhaseName; readonly epochs: number; readonly patience: number };
  /** Scores for the test split (sequence models read the training and validation histories). */
  readonly testScorer: () => Scorer;
  /**
   * Models that read histories rather than per-user rows (the sequential transformers): scores for
   * the users of `histories`, by their index there (serving a history the model has not seen).
   */
  readonly historyScorer?: (histories: Interactions) => Scorer;
  /** The config and weights to save. */
  readonly save: () => SavedWeights;
  /** Puts saved weights back (what loading a trained model is: create, then restore). */
  readonly restore: (weights: ReadonlyArray<NamedWeight>) => E.Either<KdrecError, void>;
  /** A frozen snapshot that teaches later students. */
  readonly freeze: (name: string) => Teacher;
  /** Multi-task models: the heads, to teach a multi-task student. */
  readonly taskTeacher?: TaskTeacher;
  /** Metrics beyond ranking on the test split (multi-task: rmse, mae, auc, log_loss). */
  readonly taskMetrics?: () => E.Either<KdrecError, Readonly<Record<string, number>>>;
  readonly dispose: () => void;
}

/**
 * Fields every model spec has: its name and its architecture (the registry key).
 * @category Registry
 */
export interface ModelSpecBase {
  readonly name: string;
  readonly architecture: string;
}

/**
 * One architecture of the registry. `required` and `optional` are the io-ts props of its own
 * options (the experiment adds `name` and `architecture` and refuses any other key), so an option
 * of another architecture is a decoding error at its path.
 * @category Registry
 */
export interface Architecture<Spec extends ModelSpecBase = ModelSpecBase> {
  readonly name: string;
  /** One line for help texts and docs. */
  readonly summary: string;
  /** Whether only a teacher may have this architecture (an external top-K file). */
  readonly teacherOnly?: boolean;
  readonly required: t.Props;
  readonly optional: t.Props;
  /** The value each optional setting takes when a spec leaves it out (what resolved configs show). */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** The parts a fine-tuning phase may train alone (its models' `trainableParts`); none when absent. */
  readonly parts?: ReadonlyArray<string>;
  /** Checks across the spec's own fields that a codec cannot express (run before any training). */
  check?(spec: Spec): E.Either<KdrecError, void>;
  /** Creates the model from a decoded spec. */
  create(spec: Spec, context: ModelContext): E.Either<KdrecError, BuiltModel>;
  /** One line: `MF d=8`. */
  describe(spec: Spec): string;
}

/**
 * What most models are created with from a spec: the split's users and items, the spec's width,
 * the run's seed, and the spec's L2 and learning rate (defaults 0 and 1e-3).
 * @example
 * ```ts
 * const model = NeuMF.create({ ...modelShape(spec, context), ...definedFields(spec, ["mlpLayers"]) });
 * ```
 * @category Registry
 */
export const modelShape = (
  spec: { readonly dim: number; readonly l2?: number; readonly learningRate?: number },
  context: Pick<ModelContext, "seed" | "split">,
): {
  readonly users: number;
  readonly items: number;
  readonly dim: number;
  readonly seed: number;
  readonly l2: number;
  readonly learningRate: number;
} => ({
  users: numUsers(context.split.train),
  items: numItems(context.split.train),
  dim: spec.dim,
  seed: context.seed,
  l2: spec.l2 ?? 0,
  learningRate: spec.learningRate ?? 1e-3,
});

/**
 * The decoded spec of an architecture with these props.
 * @category Registry
 */
export type SpecOf<R extends t.Props, O extends t.Props> = ModelSpecBase &
  t.TypeOf<t.TypeC<R>> &
  t.TypeOf<t.PartialC<O>>;

/**
 * Declares an architecture, inferring its spec's type from its props.
 * @example
 * ```ts
 * const tiny = defineArchitecture({
 *   name: "tiny",
 *   summary: "an example",
 *   required: { dim: integerInRange(1) },
 *   optional: {},
 *   defaults: {},
 *   create: () => E.left(kdrecError("INVALID_CONFIG", "not built in this example")),
 *   describe: (spec) => `tiny d=${spec.dim}`,
 * });
 * ```
 * @category Registry
 */
export const defineArchitecture = <R extends t.Props, O extends t.Props>(entry: {
  readonly name: string;
  readonly summary: string;
  readonly teacherOnly?: boolean;
  readonly required: R;
  readonly optional: O;
  readonly defaults: Partial<t.TypeOf<t.PartialC<O>>>;
  readonly parts?: ReadonlyArray<string>;
  readonly check?: (spec: SpecOf<R, O>) => E.Either<KdrecError, void>;
  readonly create: (spec: SpecOf<R, O>, context: ModelContext) => E.Either<KdrecError, BuiltModel>;
  readonly describe: (spec: SpecOf<R, O>) => string;
}): Architecture<SpecOf<R, O>> => entry;

/**
 * Options of gradient-trained models: rows per batch (default 1,024), epochs without a better
 * validation NDCG@10 before a phase stops (default 20), and epochs of training without a teacher
 * (default 200).
 * @category Registry
 */
export const trainingOptions = {
  batchSize: integerInRange(1),
  patience: integerInRange(1),
  maxEpochs: integerInRange(1),
} satisfies t.Props;

/**
 * The defaults of {@link trainingOptions}, which the trainer applies.
 * @category Registry
 */
export const TRAINING_DEFAULTS = { batchSize: 1024, patience: 20, maxEpochs: 200 } as const;

/**
 * `restore` for a model whose weights are `namedWeights()` in order and `restore(values)` back.
 * @category Registry
 */
export const restoreNamed =
  (
    model: {
      namedWeights(): ReadonlyArray<NamedWeight>;
      restore(values: ReadonlyArray<Float32Array>): void;
    },
    location: string,
  ) =>
  (weights: ReadonlyArray<NamedWeight>): E.Either<KdrecError, void> =>
    E.map((values: Float32Array[]) => model.restore(values))(matchWeights(weights, model.namedWeights(), location));

/**
 * The {@link BuiltModel} of a model made of named weights (NeuMF, the transformers, the tower,
 * multi-task): it saves its config and `namedWeights()` under its architecture, restores them by name, and
 * frees itself; how it scores the test split and freezes is its own.
 * @category Registry
 */
export const builtVariableModel = (
  model: TrainableModel & {
    readonly config: unknown;
    namedWeights(): ReadonlyArray<NamedWeight>;
    /** Constant tables the model scores with and serving needs (feature maps), saved beside the weights. */
    namedConstants?(): ReadonlyArray<NamedWeight>;
    restore(values: ReadonlyArray<Float32Array>): void;
    dispose(): void;
  },
  options: {
    readonly name: string;
    readonly architecture: string;
    readonly testScorer: () => Scorer;
    readonly historyScorer?: (histories: Interactions) => Scorer;
    readonly freeze: (name: string) => Teacher;
  },
): BuiltModel => {
  const constants = () => model.namedConstants?.() ?? [];
  const restore = restoreNamed(model, options.name);
  return {
    model,
    testScorer: options.testScorer,
    ...(options.historyScorer === undefined ? {} : { historyScorer: options.historyScorer }),
    save: () => ({
      architecture: options.architecture,
      config: model.config,
      parameters: model.parameterCount,
      weights: [...model.namedWeights(), ...constants()],
    }),
    // The constants are the model's own (made from the data), not restored.
    restore: (weights) => {
      const constant = new Set(constants().map((w) => w.name));
      return restore(weights.filter((w) => !constant.has(w.name)));
    },
    freeze: options.freeze,
    dispose: () => model.dispose(),
  };
};

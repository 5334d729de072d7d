/**
 * What the trainer needs of a model. Gradient models take a step on item lists under a loss;
 * closed-form models (ALS) take a whole epoch at once. Both keep snapshots (the best epoch) and
 * a training state (checkpoints with exact resume).
 * @module
 */
import type { PairwiseBatch } from "@kdrec/data";
import type { KernelTerm } from "@kdrec/losses";
import type * as tf from "@tensorflow/tfjs-core";
import type { ItemLists } from "./item_lists.js";
import type { EntityLimit, RepresentationLoss } from "./representations.js";
import type { ScoringModel } from "./scorer.js";
import type { FactorTables } from "./teacher.js";

/**
 * Weights to keep (the best epoch) and a full training state to checkpoint.
 * @category Contracts
 */
export interface Checkpointable<W, S> {
  snapshot(): W;
  restore(weights: W): void;
  /** Weights and optimizer state, for checkpoints. */
  trainingState(): S;
  restoreTrainingState(state: S): void;
}

/**
 * One level of a student's features (`[B, ds]`) and the projection (`[ds, dt]`) it learns into
 * the teacher's space (feature alignment).
 * @category Contracts
 */
export interface AlignedFeature {
  readonly value: tf.Tensor2D;
  readonly projection: tf.Tensor2D;
}

/**
 * Fills `gradient` (row-major like `scores`, `[B, width]`, zeroed on entry) with a loss's gradient
 * with respect to a batch's list scores and returns the loss value: a loss known in closed form,
 * computed on plain arrays without the tensor engine.
 * @category Contracts
 */
export type ScoreGradient = (scores: Float32Array, gradient: Float32Array) => number;

/**
 * Threads a model may train on — a `KernelPool` of `@kdrec/students/node`, opaque here: a model
 * that can use them says how (MF: whole BPR epochs on all of them, Hogwild).
 * @category Contracts
 */
export interface TrainingThreads {
  /** Threads, the calling one included. */
  readonly threads: number;
}

/**
 * Where a teacher's scores of list items come from in a model's list kernel: its score table
 * (`[users, items]`, a teacher's `scoreTable`), or an MF teacher's tables (a teacher's
 * `factorTables`), scored per list item.
 * @category Contracts
 */
export type TeacherScoreSource = { readonly table: Float32Array } | { readonly factors: FactorTables };

/**
 * An epoch of steps on item lists as a model's list kernel takes it: rows of `width` items scored
 * by the student (and by the teacher where a term reads its scores), the loss Σ weight · term over
 * closed-form terms (`@kdrec/losses`' {@link KernelTerm}s, as a plan's closed forms describe
 * themselves) — the steps `trainStepWithGradient` takes with that mixture's closed form.
 * @category Contracts
 */
export interface ListEpoch {
  /** Rows per batch, in order. */
  readonly batchRows: ReadonlyArray<number>;
  /** Batch `k`'s lists (asked for once each, in order: they may be drawn as the epoch goes). */
  readonly lists: (k: number) => ItemLists;
  /** Items per row. */
  readonly width: number;
  /** The teacher's scores, needed when a term reads them (soft labels, squared error). */
  readonly teacher?: TeacherScoreSource;
  /** The terms in the mixture's order, each with its weight for this epoch (0: skipped). */
  readonly terms: ReadonlyArray<{ readonly term: KernelTerm; readonly weight: number }>;
}

/**
 * A model trained by gradient steps on item lists.
 * @category Contracts
 */
export interface TrainableModel<W = unknown, S = unknown> extends ScoringModel, Checkpointable<W, S> {
  /** `by-user`: batches hold each user's rows together (sequence models); default shuffled rows. */
  readonly batchOrder?: "shuffled" | "by-user";
  /** One optimizer step on `loss` of the lists' scores `[B, width]`; returns the loss value. */
  trainStep(lists: ItemLists, loss: (scores: tf.Tensor2D) => tf.Scalar): number;
  /**
   * {@link TrainableModel.trainStep} for a loss whose gradient with respect to the scores is known
   * in closed form: no tensor op per step (what small models are fastest with). Same update as
   * `trainStep` on the same loss, up to float rounding.
   */
  trainStepWithGradient?(lists: ItemLists, lossGradient: ScoreGradient): number;
  /**
   * Every BPR step of an epoch of pairwise batches at once — the steps `trainStepWithGradient`
   * takes with the BPR gradient, up to float rounding — on `threads` where given and usable (MF:
   * more than one thread races on shared tables: Hogwild, not reproducible). Returns each batch's
   * loss.
   */
  trainPairwiseEpoch?(batches: ReadonlyArray<PairwiseBatch>, threads?: TrainingThreads): Float32Array;
  /**
   * Every step of an epoch on item lists at once ({@link ListEpoch}: a closed-form mixture such as
   * BPR + soft-label cross-entropy against a teacher's score table) — the steps
   * `trainStepWithGradient` takes with that mixture's closed form, up to float rounding — on
   * `threads` where given and usable (as {@link TrainableModel.trainPairwiseEpoch}). Returns, per
   * term, each batch's unweighted loss (NaN for a term of weight 0).
   */
  trainListEpoch?(epoch: ListEpoch, threads?: TrainingThreads): ReadonlyArray<Float32Array>;
  /** Scores `[B, width]` of item lists without training (what two-way training needs of both sides). */
  scoreLists?(lists: ItemLists): tf.Tensor2D;
  /**
   * The parts that can train on their own (`users`, `items` for MF; a parameter record's
   * top-level names for variable models), for partial fine-tuning.
   */
  readonly trainableParts?: ReadonlyArray<string>;
  /**
   * From the next step on, updates only `parts` (names from `trainableParts`, or deeper paths
   * such as `heads.rating`); `undefined` trains everything again.
   */
  trainOnly?(parts: ReadonlyArray<string> | undefined): void;
  /** The width of the model's per-entity representations, when it exposes them (MF: `dim`). */
  readonly representationWidth?: number;
  /**
   * A step whose loss also reads the representations of the batch's first `limit` distinct users
   * and items (what representation distillation needs of a student) and returns their gradients.
   */
  trainStepWithRepresentations?(lists: ItemLists, limit: EntityLimit, loss: RepresentationLoss): number;
  /** A step whose loss also reads the model's features (what feature alignment needs of a student). */
  trainStepWithFeatures?(
    lists: ItemLists,
    loss: (scores: tf.Tensor2D, features: ReadonlyArray<AlignedFeature>) => tf.Scalar,
  ): number;
}

/**
 * A model trained in closed form, an epoch at a time (weighted ALS: a sweep over users then items).
 * @category Contracts
 */
export interface ClosedFormModel<W = unknown, S = unknown> extends ScoringModel, Checkpointable<W, S> {
  /** One closed-form epoch; returns its loss, or NaN when it computes none. */
  closedFormEpoch(): number;
}

/**
 * Whether `model` trains in closed form.
 * @category Contracts
 */
export const isClosedForm = <W, S>(
  model: TrainableModel<W, S> | ClosedFormModel<W, S>,
): model is ClosedFormModel<W, S> => typeof (model as Partial<ClosedFormModel>).closedFormEpoch === "function";

/**
 * The part names a model built from named variables offers: every path's first and second
 * segment (`heads`, `heads.rating`), array indices left out.
 * @category Contracts
 */
export const partNamesOf = (paths: ReadonlyArray<string>): string[] => {
  const names = new Set<string>();
  for (const path of paths) {
    const segments = path.split(".");
    if (!/^\d+$/.test(segments[0]!)) names.add(segments[0]!);
    if (segments.length > 1 && !/^\d+$/.test(segments[1]!)) names.add(`${segments[0]}.${segments[1]}`);
  }
  return [...names];
};

/**
 * Whether the variable at `path` belongs to one of `parts` (the part itself or below it).
 * @category Contracts
 */
export const inParts = (path: string, parts: ReadonlyArray<string>): boolean =>
  parts.some((part) => path === part || path.startsWith(`${part}.`));

/**
 * What is wrong with fine-tuning `parts` of `model` (`"this model"`, `"a tower model"`) whose
 * trainable parts are `known`; undefined when every part is known. The experiment's checks (from
 * an architecture's declared parts) and the trainer (from the model's own) say it alike.
 * @category Contracts
 */
export const unknownPartsProblem = (
  parts: ReadonlyArray<string>,
  known: ReadonlyArray<string>,
  model: string,
): string | undefined => {
  const unknown = parts.filter((part) => !known.includes(part));
  if (unknown.length === 0) return undefined;
  return known.length === 0
    ? `${model} trains as a whole: it has no parts to fine-tune alone`
    : `${unknown.map((p) => JSON.stringify(p)).join(", ")}: not a part of ${model} (parts: ${known.join(", ")})`;
};

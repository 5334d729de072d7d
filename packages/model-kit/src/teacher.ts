/**
 * What a teacher is to a distillation: a frozen model that scores, on the backend, per-row item
 * lists and whole catalogues. Anything that can do that — a wide MF trained here, a transformer,
 * a model trained elsewhere behind a scorer function — can teach.
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { EntityRepresentations } from "./representations.js";

/**
 * A frozen teacher.
 * @category Contracts
 */
export interface Teacher {
  readonly name: string;
  /** e.g. `mf`, `external`. */
  readonly architecture: string;
  readonly numItems: number;
  /** Trainable parameters of the model it freezes (0 when unknown, e.g. external). */
  readonly parameterCount: number;
  /**
   * Scores `[B, width]`: row `b` is user `users[b]` against `items[b·width … (b+1)·width)`.
   * `rows` (the training interactions the rows stand for) lets a teacher that reads histories
   * score each row from the history before its interaction; others ignore it.
   */
  scoreLists(users: Int32Array, items: Int32Array, width: number, rows?: Int32Array): tf.Tensor2D;
  /** `by-user`: the teacher scores fastest when each user's rows come together (history readers). */
  readonly batchOrder?: "by-user";
  /**
   * The teacher's scores of every (user, item), row-major `[users, numItems]`, when they were
   * computed once (a frozen model that fits in memory): what whole-epoch kernels look targets up
   * in. Read-only.
   */
  readonly scoreTable?: Float32Array;
  /**
   * An MF teacher's frozen tables, when it has no score table (too many users × items): what
   * whole-epoch kernels score its lists with. Read-only.
   */
  readonly factorTables?: FactorTables;
  /** Scores `[B, numItems]` of users against every item. */
  scoreAll(users: Int32Array): tf.Tensor2D;
  /** Frees what the teacher holds on the backend. */
  dispose(): void;
  /** Widths of the features the teacher exposes, per level (absent: no features). */
  readonly featureWidths?: ReadonlyArray<number>;
  /** The teacher's features per level for `users` (`[B, width]` each), for feature alignment. */
  features?(users: Int32Array): tf.Tensor2D[];
  /** The width of the teacher's per-entity representations (absent: none). */
  readonly representationWidth?: number;
  /** The teacher's representations of `users` and `items` (an MF teacher's factor rows). */
  representations?(users: Int32Array, items: Int32Array): EntityRepresentations;
}

/**
 * A matrix factorization's tables, row-major: score(u, i) = userFactors[u] · itemFactors[i]
 * (+ itemBiases[i]).
 * @category Contracts
 */
export interface FactorTables {
  readonly dim: number;
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  readonly itemBiases?: Float32Array | undefined;
}

/**
 * A teacher that exposes features (what feature alignment needs of it).
 * @category Contracts
 */
export type FeatureTeacher = Teacher & Required<Pick<Teacher, "featureWidths" | "features">>;

/**
 * Whether `teacher` exposes features.
 * @category Contracts
 */
export const hasFeatures = (teacher: Teacher): teacher is FeatureTeacher =>
  teacher.features !== undefined && teacher.featureWidths !== undefined;

/**
 * A teacher that exposes per-entity representations (what representation distillation needs of it).
 * @category Contracts
 */
export type RepresentationTeacher = Teacher & Required<Pick<Teacher, "representationWidth" | "representations">>;

/**
 * Whether `teacher` exposes per-entity representations.
 * @category Contracts
 */
export const hasRepresentations = (teacher: Teacher): teacher is RepresentationTeacher =>
  teacher.representations !== undefined && teacher.representationWidth !== undefined;

/**
 * Predictions of a multi-task model's rating and like heads for (user, item) pairs.
 * @category Contracts
 */
export interface TaskPredictions {
  /** Predicted ratings. */
  readonly rating: tf.Tensor1D;
  /** Like logits (σ gives the probability). */
  readonly like: tf.Tensor1D;
}

/**
 * What per-head distillation needs of a multi-task teacher: its heads' predictions for pairs.
 * @category Contracts
 */
export interface TaskTeacher {
  predictTasks(users: Int32Array, items: Int32Array): TaskPredictions;
}

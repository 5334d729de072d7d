/**
 * What a loss term reads for one batch: the student's scores of the batch's item lists (the
 * tensor being differentiated) and, when a term asks for them, the teacher's scores of the same
 * lists and both sides' features.
 * @module
 */
import type { ScoreArrays } from "@kdrec/losses";
import type { AlignedFeature, RowItemLists, Teacher } from "@kdrec/model-kit";
import type * as tf from "@tensorflow/tfjs-core";

/**
 * Scores of a batch's item lists: the student's (differentiated) and the teacher's (targets).
 * @category Plans
 */
export interface ScoredLists {
  readonly student: tf.Tensor2D;
  /** The teacher's scores `[B, width]` (absent without a teacher). */
  readonly teacher?: tf.Tensor2D | undefined;
  /** The student's features per level, each with the projection it learns into the teacher's space. */
  readonly studentFeatures?: ReadonlyArray<AlignedFeature>;
  /** The teacher's features per level (`[B, width]`), for the rows' users. */
  readonly teacherFeatures?: ReadonlyArray<tf.Tensor2D>;
  /** Both sides' vectors of the batch's first distinct users and items (representation distillation). */
  readonly representations?: RepresentationPair;
}

/**
 * A batch's users' and items' vectors on both sides (`[U, width]`, `[I, width]`; the widths of the
 * two sides may differ).
 * @category Plans
 */
export interface RepresentationPair {
  readonly student: { readonly users: tf.Tensor2D; readonly items: tf.Tensor2D };
  readonly teacher: { readonly users: tf.Tensor2D; readonly items: tf.Tensor2D };
}

/**
 * The inputs of a batch's terms. The teacher scores the lists the first time a term reads
 * `teacher` — inside the mixture's `tidy`, which frees them — so a plan whose terms never read
 * them (the task loss alone, ranking distillation) never pays for them.
 * @category Plans
 */
export const scoredLists = (
  student: tf.Tensor2D,
  lists: RowItemLists,
  teacher: Teacher | undefined,
  features: Pick<ScoredLists, "studentFeatures" | "teacherFeatures"> = {},
): ScoredLists => {
  let teacherScores: tf.Tensor2D | undefined;
  return {
    student,
    ...features,
    get teacher() {
      teacherScores ??= teacher?.scoreLists(lists.users, lists.items, lists.width, lists.rows);
      return teacherScores;
    },
  };
};

/**
 * {@link scoredLists} as plain arrays, for terms in closed form: the teacher scores the lists (and
 * the result is read back) the first time a term reads `teacher`.
 * @category Plans
 */
export const scoreArrays = (student: Float32Array, lists: RowItemLists, teacher: Teacher | undefined): ScoreArrays => {
  let teacherScores: Float32Array | undefined;
  return {
    rows: lists.users.length,
    width: lists.width,
    student,
    get teacher() {
      if (teacherScores === undefined && teacher !== undefined) {
        const scores = teacher.scoreLists(lists.users, lists.items, lists.width, lists.rows);
        teacherScores = scores.dataSync() as Float32Array;
        scores.dispose();
      }
      return teacherScores;
    },
  };
};

/**
 * A teacher's targets, computed once: each user's top-K unobserved items with the teacher's
 * scores, best first.
 * @module
 */

/**
 * Per-user top-K items and scores, row-major `[numUsers × k]`.
 * @category Contracts
 */
export interface TeacherTargets {
  readonly k: number;
  readonly items: Int32Array;
  readonly scores: Float32Array;
}

/**
 * Per-entity representations: the vectors a model holds for users and items (an MF's factor
 * rows). Representation distillation (distillation experts, topology distillation) reads the
 * teacher's and trains the student's, beside the loss on scores.
 * @module
 */

/**
 * A batch's users and items and their representations, row-major `[users.length, width]` and
 * `[items.length, width]`.
 * @category Contracts
 */
export interface EntityRepresentations {
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly width: number;
  readonly userRows: Float32Array;
  readonly itemRows: Float32Array;
}

/**
 * Where a step's loss writes its gradients (each zeroed on entry, shaped like what it is the
 * gradient of): the list scores, the users' rows and the items' rows.
 * @category Contracts
 */
export interface RepresentationGradients {
  readonly scores: Float32Array;
  readonly userRows: Float32Array;
  readonly itemRows: Float32Array;
}

/**
 * A loss over a batch's list scores and its entities' representations: fills `gradients` and
 * returns the loss value.
 * @category Contracts
 */
export type RepresentationLoss = (
  scores: Float32Array,
  representations: EntityRepresentations,
  gradients: RepresentationGradients,
) => number;

/**
 * How many of a batch's distinct users and items (first seen first) a representation step reads.
 * @category Contracts
 */
export interface EntityLimit {
  readonly users: number;
  readonly items: number;
}

/**
 * Rows `ids` of a row-major table of `width` columns, copied into one array `[ids.length, width]`.
 * @example
 * ```ts
 * gatherRows(Float32Array.of(1, 2, 3, 4, 5, 6), Int32Array.of(2, 0), 2); // [5, 6, 1, 2]
 * ```
 * @category Contracts
 */
export const gatherRows = (table: Float32Array, ids: Int32Array, width: number): Float32Array => {
  const out = new Float32Array(ids.length * width);
  ids.forEach((id, k) => {
    out.set(table.subarray(id * width, (id + 1) * width), k * width);
  });
  return out;
};

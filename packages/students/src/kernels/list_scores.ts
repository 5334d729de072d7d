import { pointer, type RowArena } from "../row_arena.js";

/** The arrays of {@link listScores}: row `b` is user `users[b]` with items `items[b·width ..]`. */
export interface ListScoresArgs {
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  readonly itemBiases: Float32Array | undefined;
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly width: number;
  readonly dim: number;
  /** Receives the scores, row-major `[users.length, width]`. */
  readonly out: Float32Array;
}

/** Scores of per-user item lists: dot products of user and item rows, plus the item bias. */
export const listScores = (arena: RowArena, a: ListScoresArgs): void => {
  const { userFactors: P, itemFactors: Q, itemBiases: biases, users, items, width, dim, out } = a;
  const kernels = arena.kernelsFor(P, Q, biases, users, items, out);
  if (kernels !== undefined) {
    kernels.listScores(
      pointer(P),
      pointer(Q),
      pointer(biases),
      pointer(users),
      pointer(items),
      users.length,
      width,
      dim,
      pointer(out),
    );
    return;
  }
  for (let b = 0; b < users.length; b++) {
    const pu = users[b]! * dim;
    for (let j = 0; j < width; j++) {
      const k = b * width + j;
      const item = items[k]!;
      const qi = item * dim;
      let dot = biases === undefined ? 0 : biases[item]!;
      for (let d = 0; d < dim; d++) dot += P[pu + d]! * Q[qi + d]!;
      out[k] = dot;
    }
  }
};

import { pointer, type RowArena } from "../row_arena.js";

/**
 * The arrays of {@link rowGradients}: a batch of item lists (as for scoring), the gradient of
 * the loss with respect to each list score, and each user's and item's slot among the batch's
 * distinct rows.
 */
export interface RowGradientsArgs {
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly userSlots: Int32Array;
  readonly itemSlots: Int32Array;
  readonly scoreGradients: Float32Array;
  readonly width: number;
  readonly dim: number;
  /** Gradient rows of the distinct users, zeroed on entry. */
  readonly userGradients: Float32Array;
  /** Gradient rows of the distinct items, zeroed on entry. */
  readonly itemGradients: Float32Array;
  /** Gradient of the distinct items' biases, zeroed on entry, when the model has biases. */
  readonly biasGradients: Float32Array | undefined;
}

/** The chain rule from list scores down to the distinct rows a batch touches. */
export const rowGradients = (arena: RowArena, a: RowGradientsArgs): void => {
  const { userFactors: P, itemFactors: Q, users, items, userSlots, itemSlots, scoreGradients, width, dim } = a;
  const { userGradients, itemGradients, biasGradients } = a;
  const kernels = arena.kernelsFor(
    P,
    Q,
    users,
    items,
    userSlots,
    itemSlots,
    scoreGradients,
    userGradients,
    itemGradients,
    biasGradients,
  );
  if (kernels !== undefined) {
    kernels.rowGradients(
      pointer(P),
      pointer(Q),
      pointer(users),
      pointer(items),
      pointer(userSlots),
      pointer(itemSlots),
      pointer(scoreGradients),
      users.length,
      width,
      dim,
      pointer(userGradients),
      pointer(itemGradients),
      pointer(biasGradients),
    );
    return;
  }
  for (let b = 0; b < users.length; b++) {
    const pu = users[b]! * dim;
    const gu = userSlots[b]! * dim;
    for (let j = 0; j < width; j++) {
      const k = b * width + j;
      const g = scoreGradients[k]!;
      if (g === 0) continue;
      const qi = items[k]! * dim;
      const gi = itemSlots[k]! * dim;
      for (let d = 0; d < dim; d++) {
        userGradients[gu + d]! += g * Q[qi + d]!;
        itemGradients[gi + d]! += g * P[pu + d]!;
      }
      if (biasGradients !== undefined) biasGradients[itemSlots[k]!]! += g;
    }
  }
};

import { pointer, type RowArena } from "../row_arena.js";

/** The arrays and hyper-parameters of {@link adamRows}. */
export interface AdamRowsArgs {
  readonly values: Float32Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Distinct row indices; gradient row k belongs to table row `rows[k]`. */
  readonly rows: Int32Array;
  readonly gradients: Float32Array;
  readonly width: number;
  /** The learning rate with Adam's bias correction folded in. */
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Adds `decay × value` to each gradient (an L2 penalty's gradient). */
  readonly decay: number;
}

/** Lazy Adam on the listed rows of a table, in place (moments of other rows are left as they are). */
export const adamRows = (arena: RowArena | undefined, a: AdamRowsArgs): void => {
  const { values, m, v, rows, gradients, width, learningRate: lr, beta1, beta2, epsilon, decay } = a;
  const kernels = arena?.kernelsFor(values, m, v, rows, gradients);
  if (kernels !== undefined) {
    kernels.adamRows(
      pointer(values),
      pointer(m),
      pointer(v),
      pointer(rows),
      pointer(gradients),
      rows.length,
      width,
      lr,
      beta1,
      beta2,
      epsilon,
      decay,
    );
    return;
  }
  const keep1 = 1 - beta1;
  const keep2 = 1 - beta2;
  for (let k = 0; k < rows.length; k++) {
    const base = rows[k]! * width;
    const from = k * width;
    for (let d = 0; d < width; d++) {
      const i = base + d;
      const g = gradients[from + d]! + decay * values[i]!;
      const mi = beta1 * m[i]! + keep1 * g;
      const vi = beta2 * v[i]! + keep2 * g * g;
      m[i] = mi;
      v[i] = vi;
      values[i]! -= (lr * mi) / (Math.sqrt(vi) + epsilon);
    }
  }
};

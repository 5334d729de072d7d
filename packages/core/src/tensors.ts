/**
 * Helpers that make tensor disposal hard to get wrong: compute inside `tf.tidy` and read the
 * values outside it, and count the tensors a piece of work leaves behind.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { type KdrecError, kdrecError } from "./error.js";

/**
 * Runs `compute` inside `tf.tidy`, downloads the one tensor it returns, disposes everything and
 * returns the values.
 *
 * Why not return the array from `tf.tidy` directly: tidy walks the returned value looking for
 * tensors, and on a large TypedArray that walk takes seconds. Tensors go out of tidy; data is
 * read after it.
 * @example
 * ```ts
 * const scores = readTidy(() => tf.matMul(users, items, false, true)); // Float32Array
 * ```
 * @category Tensors
 */
export const readTidy = <R extends tf.Rank>(compute: () => tf.Tensor<R>): tf.TypedArray => {
  const result = tf.tidy(compute);
  try {
    return result.dataSync();
  } finally {
    result.dispose();
  }
};

/**
 * The asynchronous form of {@link readTidy}: the download does not block the event loop
 * (the way to read results in a browser or a server).
 * @category Tensors
 */
export const readTidyAsync = async <R extends tf.Rank>(compute: () => tf.Tensor<R>): Promise<tf.TypedArray> => {
  const result = tf.tidy(compute);
  try {
    return await result.data();
  } finally {
    result.dispose();
  }
};

/**
 * Column `j` of a `[rows, columns]` matrix, as a `[rows]` vector — e.g. the positives' scores of a
 * `[B, 2]` (positive, negative) score matrix.
 * @category Tensors
 */
export const column = (matrix: tf.Tensor2D, j: number): tf.Tensor1D =>
  tf.tidy(() => tf.reshape(tf.slice(matrix, [0, j], [-1, 1]), [-1]) as tf.Tensor1D);

/**
 * How many tensors the backend held before and after a piece of work.
 * @category Tensors
 */
export interface TensorCount {
  readonly before: number;
  readonly after: number;
}

/**
 * Runs `work` (synchronous or asynchronous) and checks that it leaves no tensor behind:
 * `Right` with the counts when the number of live tensors did not grow, else a `TENSOR_LEAK`
 * error that says how many leaked. `tolerance` allows tensors that the work keeps on purpose
 * (a model's variables created on first use, say).
 * @example
 * ```ts
 * const check = await checkTensorLeak(() => trainer.epoch(), "epoch 2");
 * expect(E.isRight(check)).toBe(true);
 * ```
 * @category Tensors
 */
export const checkTensorLeak = async (
  work: () => unknown,
  label = "work",
  tolerance = 0,
): Promise<E.Either<KdrecError, TensorCount>> => {
  const before = tf.memory().numTensors;
  const result = await work();
  if (result instanceof tf.Tensor) result.dispose(); // a returned tensor belongs to the caller, not to the count
  const after = tf.memory().numTensors;
  return after - before > tolerance
    ? E.left(
        kdrecError(
          "TENSOR_LEAK",
          `${after - before} tensor(s) left undisposed (before ${before}, after ${after})`,
          label,
        ),
      )
    : E.right({ before, after });
};

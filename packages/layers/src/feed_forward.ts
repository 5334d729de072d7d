/**
 * The position-wise feed-forward network of a transformer block: dense → GELU → dense.
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { type DenseParams, dense } from "./dense.js";
import { gelu } from "./gelu.js";

/**
 * The two dense layers (`[hidden, inner]`, `[inner, hidden]`).
 * @category Layers
 */
export interface FeedForwardParams {
  readonly inner: DenseParams;
  readonly outer: DenseParams;
}

/**
 * `outer(gelu(inner(x)))` at every position.
 * @category Layers
 */
export const feedForward = (x: tf.Tensor, params: FeedForwardParams): tf.Tensor =>
  dense(gelu(dense(x, params.inner)), params.outer);

/**
 * Multi-head scaled dot-product self-attention (Vaswani et al. 2017), with padding and causal
 * masks — what tfjs-layers does not offer.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type DenseParams, dense } from "./dense.js";

/**
 * The query, key, value and output projections, each `[hidden, hidden]` with a bias.
 * @category Layers
 */
export interface AttentionParams {
  readonly query: DenseParams;
  readonly key: DenseParams;
  readonly value: DenseParams;
  readonly output: DenseParams;
}

/**
 * Options of {@link multiHeadSelfAttention}.
 * @category Layers
 */
export interface AttentionOptions {
  /** Number of heads; must divide the hidden size. */
  readonly heads: number;
  /** Position i attends only to positions ≤ i (SASRec); default false (BERT4Rec). */
  readonly causal?: boolean;
}

/** A large negative logit for masked positions: finite, so fully masked rows stay NaN-free. */
const MASKED = -1e9;

/**
 * Self-attention of `x` (`[B, L, hidden]`); `valid` (`[B, L]`, 1 for real items, 0 for padding)
 * keeps padded positions from being attended to. Returns `[B, L, hidden]`.
 * @category Layers
 */
export const multiHeadSelfAttention = (
  x: tf.Tensor3D,
  valid: tf.Tensor2D,
  params: AttentionParams,
  options: AttentionOptions,
): tf.Tensor3D =>
  tf.tidy(() => {
    const [batch, length, hidden] = x.shape;
    const { heads } = options;
    if (hidden % heads !== 0)
      throw new RangeError(`multiHeadSelfAttention: hidden size ${hidden} is not divisible by ${heads} heads`);
    const size = hidden / heads;
    // [B, L, hidden] → [B, heads, L, size]
    const split = (t: tf.Tensor) =>
      tf.transpose(tf.reshape(t, [batch, length, heads, size]), [0, 2, 1, 3]) as tf.Tensor4D;
    const q = split(dense(x, params.query));
    const k = split(dense(x, params.key));
    const v = split(dense(x, params.value));
    let logits = tf.div(tf.matMul(q, k, false, true), Math.sqrt(size)); // [B, heads, L, L]
    let allowed: tf.Tensor = tf.reshape(valid, [batch, 1, 1, length]);
    if (options.causal === true) allowed = tf.mul(allowed, tf.linalg.bandPart(tf.ones([length, length]), -1, 0));
    logits = tf.add(logits, tf.mul(tf.sub(1, allowed), MASKED));
    const attended = tf.matMul(tf.softmax(logits), v); // [B, heads, L, size]
    const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [batch, length, hidden]);
    return dense(merged, params.output) as tf.Tensor3D;
  });

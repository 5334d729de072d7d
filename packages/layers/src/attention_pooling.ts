/**
 * Attention pooling: a learned query scores each element of a set, and the set is summarised by
 * the softmax-weighted sum of its (projected) elements — the building block of hierarchical
 * attention towers.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type DenseParams, dense } from "./dense.js";

/**
 * A pooling's key projection (`[hidden, attention]`) and its query (`[attention]`).
 * @category Layers
 */
export interface AttentionPoolingParams {
  readonly key: DenseParams;
  readonly query: tf.Tensor1D;
}

/**
 * Pools `x` (`[..., N, hidden]`) over its second-to-last axis: weights
 * `softmax(tanh(key(x)) · query)` over the elements where `valid` (`[..., N]`) is 1. A set with no
 * valid element pools to zeros. Returns `{ pooled: [..., hidden], weights: [..., N] }`.
 * @category Layers
 */
export const attentionPooling = (
  x: tf.Tensor,
  valid: tf.Tensor,
  params: AttentionPoolingParams,
): { pooled: tf.Tensor; weights: tf.Tensor } =>
  tf.tidy(() => {
    const size = params.query.shape[0];
    const logits = tf.reshape(
      tf.matMul(tf.reshape(tf.tanh(dense(x, params.key)), [-1, size]), tf.reshape(params.query, [size, 1])),
      valid.shape,
    );
    // Masked softmax: exp of shifted logits times the mask, normalised (a fully masked set gives 0).
    const shifted = tf.sub(logits, tf.max(logits, -1, true));
    const weighted = tf.mul(tf.exp(shifted), valid);
    const weights = tf.div(weighted, tf.maximum(tf.sum(weighted, -1, true), 1e-12));
    const pooled = tf.sum(tf.mul(x, tf.expandDims(weights, -1)), -2);
    return { pooled, weights };
  });

/**
 * Layer normalisation over the last axis (Ba, Kiros & Hinton 2016).
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * A layer norm's learned scale and shift, each `[hidden]`.
 * @category Layers
 */
export interface LayerNormParams {
  readonly gamma: tf.Tensor1D;
  readonly beta: tf.Tensor1D;
}

/**
 * `gamma · (x − mean) / sqrt(var + epsilon) + beta` over the last axis of `x`.
 * @example
 * ```ts
 * const y = layerNorm(x, { gamma: tf.ones([64]), beta: tf.zeros([64]) });
 * ```
 * @category Layers
 */
export const layerNorm = <T extends tf.Tensor>(x: T, params: LayerNormParams, epsilon = 1e-6): T =>
  tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    const normalised = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(normalised, params.gamma), params.beta) as T;
  });

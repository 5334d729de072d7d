/**
 * GELU (Hendrycks & Gimpel 2016), the exact form x·Φ(x) that BERT uses.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * `x · Φ(x) = 0.5 · x · (1 + erf(x / √2))`, element-wise.
 * @category Layers
 */
export const gelu = <T extends tf.Tensor>(x: T): T =>
  tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))) as T);

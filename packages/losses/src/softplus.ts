/**
 * The numerically stable softplus that every log-sigmoid loss here is built on.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * softplus(x) = log(1 + eˣ), computed as max(x, 0) + log1p(e^(−|x|)) so it stays finite for large
 * |x|. Written out rather than `tf.logSigmoid` (−softplus(−x)), which crashed inside
 * `optimizer.minimize` with tfjs-core 4.22 on the native backend.
 * @category Losses
 */
export const stableSoftplus = (x: tf.Tensor): tf.Tensor =>
  tf.tidy(() => tf.add(tf.relu(x), tf.log1p(tf.exp(tf.neg(tf.abs(x))))));

/**
 * Sampled-softmax cross-entropy: the positive against sampled items.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * Mean over rows of −log softmax([s⁺, s₁…sₙ])₀: the positive's score `[B]` against the scores of
 * `[B, n]` sampled items (uniform samples need no correction; popularity samples should be
 * passed with their log-probability subtracted).
 * @category Losses
 */
export const sampledSoftmaxCrossEntropy = (positive: tf.Tensor1D, sampled: tf.Tensor2D): tf.Scalar =>
  tf.tidy(() => {
    const logits = tf.concat([tf.expandDims(positive, 1), sampled], 1);
    return tf.mean(tf.sub(tf.logSumExp(logits, 1), positive)) as tf.Scalar;
  });

/**
 * Mean squared error: logit matching between student and teacher scores, or regression on ratings.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * Mean of (prediction − target)² over all elements.
 * @category Losses
 */
export const meanSquaredError = (predictions: tf.Tensor, targets: tf.Tensor): tf.Scalar =>
  tf.tidy(() => tf.mean(tf.squaredDifference(predictions, targets)) as tf.Scalar);

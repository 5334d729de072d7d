/**
 * Binary cross-entropy on logits.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { stableSoftplus } from "./softplus.js";

/**
 * Mean binary cross-entropy of `logits` against `targets` in [0, 1]:
 * −y log σ(x) − (1 − y) log(1 − σ(x)) = softplus(x) − x·y, stable for large |x|.
 * Soft targets (probabilities) are allowed: that is the pointwise distillation form.
 * @category Losses
 */
export const binaryCrossEntropy = (logits: tf.Tensor, targets: tf.Tensor): tf.Scalar =>
  tf.tidy(() => tf.mean(tf.sub(stableSoftplus(logits), tf.mul(logits, targets))) as tf.Scalar);

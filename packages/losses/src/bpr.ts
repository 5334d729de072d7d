/**
 * Bayesian personalised ranking (Rendle et al., UAI 2009).
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { stableSoftplus } from "./softplus.js";

/**
 * BPR: mean over pairs of −log σ(s⁺ − s⁻) = softplus(s⁻ − s⁺). `negative` may be `[B]` (one
 * negative per positive) or `[B, n]` (n negatives each, averaged).
 * @example
 * ```ts
 * const loss = bprLoss(tf.tensor1d([2, 0]), tf.tensor1d([0, 1])); // (softplus(-2) + softplus(1)) / 2
 * ```
 * @category Losses
 */
export const bprLoss = (positive: tf.Tensor1D, negative: tf.Tensor1D | tf.Tensor2D): tf.Scalar =>
  tf.tidy(() => {
    const pos = negative.rank === 2 ? tf.expandDims(positive, 1) : positive;
    return tf.mean(stableSoftplus(tf.sub(negative, pos))) as tf.Scalar;
  });

/**
 * Ranking distillation (Tang & Wang, KDD 2018): the teacher's top-K unobserved items become extra
 * positives for the student, weighted by their position in the teacher's ranking.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { stableSoftplus } from "./softplus.js";

/**
 * Position-importance weights wᵣ ∝ exp(−r/λ) for teacher ranks r = 0…K−1, normalised to sum to 1
 * (the paper's weighting: the teacher's first items matter most).
 * @category Losses
 */
export const rankWeights = (k: number, lambda: number): Float32Array => {
  if (!(Number.isInteger(k) && k > 0 && lambda > 0))
    throw new RangeError(`rankWeights: expected k a positive integer and lambda > 0, got ${k}, ${lambda}`);
  const raw = Float32Array.from({ length: k }, (_, r) => Math.exp(-r / lambda));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / total);
};

/**
 * The ranking-distillation loss for student scores `[B, K]` of each user's teacher top-K items:
 * Σᵣ wᵣ · −log σ(sᵣ) averaged over users (the paper's pointwise form), or, with `negatives`
 * (`[B]` scores of sampled negatives), Σᵣ wᵣ · −log σ(sᵣ − s⁻): the teacher's items as extra BPR
 * positives. `weights` is `[K]` (static) or `[B, K]` (per-user, e.g. dynamic weights).
 * @category Losses
 */
export const rankingDistillation = (
  studentTopK: tf.Tensor2D,
  weights: tf.Tensor1D | tf.Tensor2D,
  negatives?: tf.Tensor1D,
): tf.Scalar =>
  tf.tidy(() => {
    const margin = negatives === undefined ? studentTopK : tf.sub(studentTopK, tf.expandDims(negatives, 1));
    return tf.mean(tf.sum(tf.mul(stableSoftplus(tf.neg(margin)), weights), 1)) as tf.Scalar;
  });

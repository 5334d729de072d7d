/**
 * Listwise ranking distillation: the likelihood of the teacher's top-K order under the student's
 * scores in the Plackett–Luce model, as in RRD (Kang et al., CIKM 2020).
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * Negative log Plackett–Luce likelihood of the order `studentScores[b, 0] > … > studentScores[b, K−1]`
 * (the student's scores of the teacher's top-K items, in the teacher's order), averaged over rows:
 * Σᵣ [log Σ_{j≥r} e^{sⱼ} − sᵣ]. With `below` (`[B, M]` scores of items the teacher ranks low,
 * RRD's "uninteresting" samples), those items join every denominator: each top item should
 * also beat them, while their own order is left free.
 * @category Losses
 */
export const plackettLuceLoss = (studentScores: tf.Tensor2D, below?: tf.Tensor2D): tf.Scalar =>
  tf.tidy(() => {
    // Suffix log-sum-exp: reverse, cumulative logsumexp via a running max for stability.
    const shift = tf.max(below === undefined ? studentScores : tf.concat([studentScores, below], 1), 1, true);
    const exps = tf.exp(tf.sub(studentScores, shift));
    const suffix = tf.reverse(tf.cumsum(tf.reverse(exps, 1), 1), 1); // Σ_{j≥r} e^{sⱼ − shift}
    const tail = below === undefined ? tf.zerosLike(suffix) : tf.sum(tf.exp(tf.sub(below, shift)), 1, true);
    const logDenominators = tf.add(tf.log(tf.add(suffix, tail)), shift);
    return tf.mean(tf.sum(tf.sub(logDenominators, studentScores), 1)) as tf.Scalar;
  });

/**
 * Soft-label distillation (Hinton, Vinyals & Dean, 2015): the student matches the teacher's
 * temperature-softened distribution; gradients scale as 1/T², so the loss is multiplied by T² to
 * keep its weight comparable across temperatures.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { binaryCrossEntropy } from "./binary_cross_entropy.js";

const checkTemperature = (temperature: number, where: string): void => {
  if (!(Number.isFinite(temperature) && temperature > 0))
    throw new RangeError(`${where}: temperature must be > 0, got ${temperature}`);
};

/**
 * Listwise soft-label cross-entropy over a candidate set: T² · mean over rows of
 * −Σⱼ softmax(t/T)ⱼ · log softmax(s/T)ⱼ, for student and teacher logits `[B, n]` over the same
 * candidates. The teacher's logits are targets: no gradient flows into them.
 * @example
 * ```ts
 * const loss = softLabelCrossEntropy(studentScores, teacherScores, 0.5); // [B, 101] each
 * ```
 * @category Losses
 */
export const softLabelCrossEntropy = (
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  temperature: number,
): tf.Scalar => {
  checkTemperature(temperature, "softLabelCrossEntropy");
  return tf.tidy(() => {
    const targets = tf.softmax(tf.div(teacherLogits, temperature));
    const logProbabilities = tf.logSoftmax(tf.div(studentLogits, temperature));
    const perRow = tf.neg(tf.sum(tf.mul(targets, logProbabilities), 1));
    return tf.mul(tf.mean(perRow), temperature * temperature) as tf.Scalar;
  });
};

/**
 * Pointwise soft-label distillation: T² · mean binary cross-entropy of σ(s/T) against σ(t/T),
 * for any matching shapes of student and teacher logits (each score its own Bernoulli).
 * @category Losses
 */
export const softBinaryCrossEntropy = (
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  temperature: number,
): tf.Scalar => {
  checkTemperature(temperature, "softBinaryCrossEntropy");
  return tf.tidy(
    () =>
      tf.mul(
        binaryCrossEntropy(tf.div(studentLogits, temperature), tf.sigmoid(tf.div(teacherLogits, temperature))),
        temperature * temperature,
      ) as tf.Scalar,
  );
};

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
 * −Σⱼ wⱼ · softmax(t/T)ⱼ · log softmax(s/T)ⱼ, for student and teacher logits `[B, n]` over the
 * same candidates, with per-candidate `weights` `[B, n]` (default 1; constants, as
 * {@link rankDiscrepancyWeights} makes). The teacher's logits are targets: no gradient flows into
 * them.
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
  weights?: tf.Tensor2D,
): tf.Scalar => {
  checkTemperature(temperature, "softLabelCrossEntropy");
  return tf.tidy(() => {
    const softTargets = tf.softmax(tf.div(teacherLogits, temperature));
    const targets = weights === undefined ? softTargets : tf.mul(softTargets, weights);
    const logProbabilities = tf.logSoftmax(tf.div(studentLogits, temperature));
    const perRow = tf.neg(tf.sum(tf.mul(targets, logProbabilities), 1));
    return tf.mul(tf.mean(perRow), temperature * temperature) as tf.Scalar;
  });
};

/**
 * Rank-discrepancy weights (after Collaborative Distillation, Lee et al. 2019, whose student-guided
 * training favours the items the student ranks below where the teacher does): for columns
 * `first … first + count − 1` of each row, with rᵗ and rˢ each candidate's rank among them by the
 * teacher's and the student's scores (0 = best), w = tanh(max(0, ε·(rˢ − rᵗ))), normalised to mean
 * 1 over the row (a row with no such candidate gets weight 1 everywhere). Returns `[rows, count]`.
 * Candidates the student already ranks at least as high as the teacher weigh nothing.
 * @example
 * ```ts
 * // One row of three: the student ranks item 2 last, the teacher first.
 * rankDiscrepancyWeights(Float32Array.of(3, 2, 1), Float32Array.of(1, 2, 3), 1, 3, 0, 3, 1); // [0, 0, 3]
 * ```
 * @category Losses
 */
export const rankDiscrepancyWeights = (
  student: Float32Array,
  teacher: Float32Array,
  rows: number,
  width: number,
  first: number,
  count: number,
  epsilon: number,
): Float32Array => {
  if (count > 2 ** 16) throw new RangeError(`rankDiscrepancyWeights: at most 65,536 candidates, got ${count}`);
  const weights = new Float32Array(rows * count);
  const keys = new Float64Array(count);
  const bits = new Uint32Array(new Float32Array(1).buffer);
  const float = new Float32Array(bits.buffer);
  const studentRank = new Int32Array(count);
  const teacherRank = new Int32Array(count);
  // Ranks by one native numeric sort (no comparator): each candidate's key packs its score, made
  // order-preserving as an unsigned integer, above its position reversed (ties: the earlier
  // candidate first). 32 + 16 bits fit a float64 exactly.
  const rank = (scores: Float32Array, at: number, out: Int32Array) => {
    for (let j = 0; j < count; j++) {
      float[0] = scores[at + j]!;
      const u = bits[0]!;
      const sortable = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
      keys[j] = sortable * 65536 + (65535 - j);
    }
    keys.sort();
    for (let r = 0; r < count; r++) out[65535 - (keys[count - 1 - r]! % 65536)] = r;
  };
  for (let b = 0; b < rows; b++) {
    const at = b * width + first;
    rank(student, at, studentRank);
    rank(teacher, at, teacherRank);
    const row = weights.subarray(b * count, (b + 1) * count);
    let total = 0;
    for (let j = 0; j < count; j++) {
      row[j] = Math.tanh(Math.max(0, epsilon * (studentRank[j]! - teacherRank[j]!)));
      total += row[j]!;
    }
    if (total > 0) for (let j = 0; j < count; j++) row[j] = (row[j]! * count) / total;
    else row.fill(1);
  }
  return weights;
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

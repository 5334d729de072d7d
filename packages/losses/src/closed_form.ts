/**
 * Closed-form gradients of the list losses, on plain arrays: for a loss whose derivative with
 * respect to the scores is known (BPR, soft-label cross-entropy, MSE, ranking distillation), a
 * training step needs no tensor engine at all — the model scores its lists, one of these adds
 * `weight · ∂loss/∂scores` to a gradient array, and the model carries it to its rows. On small
 * models that skips the per-batch cost of tensor creation, op dispatch and read-back, which is most
 * of a step. Each matches its TF.js twin in this package (values and gradients; tested).
 * @module
 */

/**
 * A batch's list scores as plain arrays, row-major `[rows, width]`: the student's, and the
 * teacher's where a term reads them.
 * @category Closed form
 */
export interface ScoreArrays {
  readonly rows: number;
  readonly width: number;
  readonly student: Float32Array;
  /** The teacher's scores of the same lists (absent without a teacher). */
  readonly teacher?: Float32Array | undefined;
}

/**
 * A loss term's closed form: adds `weight · ∂loss/∂student` to `gradient` (same layout as the
 * scores) and returns the loss value (unweighted).
 * @category Closed form
 */
export type ClosedFormLoss = (scores: ScoreArrays, weight: number, gradient: Float32Array) => number;

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/**
 * BPR over each row's first two columns, as {@link rowBprLoss}: mean softplus(s⁻ − s⁺), with the
 * positive first (or second, with `negativeFirst`).
 * @example
 * ```ts
 * const gradient = new Float32Array(4);
 * rowBprGradient()({ rows: 2, width: 2, student: Float32Array.of(2, 0, 0, 1) }, 1, gradient); // ≈ 0.7201
 * ```
 * @category Closed form
 */
export const rowBprGradient =
  (negativeFirst = false): ClosedFormLoss =>
  ({ rows, width, student }, weight, gradient) => {
    const [positive, negative] = negativeFirst ? [1, 0] : [0, 1];
    let total = 0;
    for (let b = 0; b < rows; b++) {
      const at = b * width;
      const margin = student[at + negative]! - student[at + positive]!;
      total += softplus(margin);
      const g = (weight * sigmoid(margin)) / rows;
      gradient[at + negative]! += g;
      gradient[at + positive]! -= g;
    }
    return total / rows;
  };

/**
 * Soft-label cross-entropy over columns `first … first + count − 1` of each row, as
 * {@link softLabelCrossEntropy}: T² · mean over rows of −Σ softmax(t/T) · log softmax(s/T), whose
 * gradient is T · (softmax(s/T) − softmax(t/T)) / rows; with `candidateWeights` (`[rows, count]`
 * from the batch's scores, e.g. {@link rankDiscrepancyWeights}) each target is weighted.
 * @category Closed form
 */
export const softLabelGradient = (
  first: number,
  count: number,
  temperature: number,
  candidateWeights?: (scores: ScoreArrays) => Float32Array,
): ClosedFormLoss => {
  // Scratch rows, reused across steps.
  const scaled = new Float64Array(count);
  const teacherExp = new Float64Array(count);
  return (scores, weight, gradient) => {
    const { rows, width, student, teacher } = scores;
    if (teacher === undefined) throw new Error("soft-label cross-entropy needs the teacher's scores");
    // Per-candidate weights `[rows, count]` (constants of the step), as softLabelCrossEntropy's.
    const w = candidateWeights?.(scores);
    const t = temperature;
    // Each row's scaled scores and the teacher's exponentials, computed once and reused (the
    // same values, bit for bit, as computing them where used: a third of the exp calls).
    let total = 0;
    for (let b = 0; b < rows; b++) {
      const at = b * width + first;
      let studentMax = Number.NEGATIVE_INFINITY;
      let teacherMax = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < count; j++) {
        scaled[j] = student[at + j]! / t;
        teacherExp[j] = teacher[at + j]! / t;
        studentMax = Math.max(studentMax, scaled[j]!);
        teacherMax = Math.max(teacherMax, teacherExp[j]!);
      }
      let studentSum = 0;
      let teacherSum = 0;
      for (let j = 0; j < count; j++) {
        studentSum += Math.exp(scaled[j]! - studentMax);
        teacherExp[j] = Math.exp(teacherExp[j]! - teacherMax);
        teacherSum += teacherExp[j]!;
      }
      const logStudentSum = Math.log(studentSum);
      // With weighted targets ŵⱼ = wⱼ·pⱼ: ∂/∂sₖ of −Σ ŵⱼ log qₖ is (Σ ŵⱼ)·qₖ − ŵₖ, over T.
      let targetMass = 1;
      if (w !== undefined) {
        targetMass = 0;
        for (let j = 0; j < count; j++) targetMass += (w[b * count + j]! * teacherExp[j]!) / teacherSum;
      }
      let rowLoss = 0;
      for (let j = 0; j < count; j++) {
        const soft = teacherExp[j]! / teacherSum;
        const target = w === undefined ? soft : w[b * count + j]! * soft;
        const logProbability = scaled[j]! - studentMax - logStudentSum;
        rowLoss -= target * logProbability;
        gradient[at + j]! += (weight * t * (targetMass * Math.exp(logProbability) - target)) / rows;
      }
      total += rowLoss;
    }
    return (t * t * total) / rows;
  };
};

/**
 * Mean squared error between the student's and the teacher's scores over every entry, as
 * {@link meanSquaredError}.
 * @category Closed form
 */
export const squaredErrorGradient: ClosedFormLoss = ({ student, teacher }, weight, gradient) => {
  if (teacher === undefined) throw new Error("mean squared error needs the teacher's scores");
  const n = student.length;
  let total = 0;
  for (let k = 0; k < n; k++) {
    const difference = student[k]! - teacher[k]!;
    total += difference * difference;
    gradient[k]! += (2 * weight * difference) / n;
  }
  return total / n;
};

/**
 * Ranking distillation with a sampled negative, as {@link rankingDistillation} on columns
 * `first … first + K − 1` (the teacher's top K) against column `negative`: mean over rows of
 * Σᵣ wᵣ · softplus(s⁻ − sᵣ).
 * @category Closed form
 */
export const rankingDistillationGradient =
  (first: number, weights: Float32Array, negative: number): ClosedFormLoss =>
  ({ rows, width, student }, weight, gradient) => {
    let total = 0;
    for (let b = 0; b < rows; b++) {
      const at = b * width;
      const negativeScore = student[at + negative]!;
      let negativeGradient = 0;
      for (let r = 0; r < weights.length; r++) {
        const margin = negativeScore - student[at + first + r]!;
        total += weights[r]! * softplus(margin);
        const g = (weight * weights[r]! * sigmoid(margin)) / rows;
        gradient[at + first + r]! -= g;
        negativeGradient += g;
      }
      gradient[at + negative]! += negativeGradient;
    }
    return total / rows;
  };

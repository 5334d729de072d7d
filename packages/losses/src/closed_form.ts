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
 * A closed form as a model's list kernel computes it (MF's `trainListEpoch`: the same loss and
 * gradient as the closed form it describes, columns counted from 0 in each row): BPR on two
 * columns, soft-label cross-entropy over a slice, squared error against the teacher over every
 * column, ranking distillation, Plackett–Luce, soft binary cross-entropy over a slice.
 * @category Closed form
 */
export type KernelTerm =
  | { readonly kind: "bpr"; readonly positive: number; readonly negative: number }
  | { readonly kind: "soft-label"; readonly first: number; readonly count: number; readonly temperature: number }
  | { readonly kind: "squared-error" }
  | {
      readonly kind: "ranking";
      readonly first: number;
      readonly negative: number;
      /** One weight per top item, in order. */
      readonly rankWeights: Float32Array;
    }
  | { readonly kind: "plackett-luce"; readonly first: number; readonly count: number; readonly below: number }
  | { readonly kind: "soft-bce"; readonly first: number; readonly count: number; readonly temperature: number };

/**
 * Whether a kernel term reads the teacher's scores of the lists.
 * @category Closed form
 */
export const readsTeacher = (term: KernelTerm): boolean =>
  term.kind === "soft-label" || term.kind === "squared-error" || term.kind === "soft-bce";

/**
 * One kernel term of a closed form: the closed form's loss is Σ `scale` · the term's loss, and
 * each term is weighted by the closed form's weight · `scale`.
 * @category Closed form
 */
export interface KernelPart {
  readonly term: KernelTerm;
  readonly scale: number;
}

/**
 * A loss term's closed form: adds `weight · ∂loss/∂student` to `gradient` (same layout as the
 * scores) and returns the loss value (unweighted). With `kernel`, a model's list kernel can take
 * the same steps without calling it.
 * @category Closed form
 */
export interface ClosedFormLoss {
  (scores: ScoreArrays, weight: number, gradient: Float32Array): number;
  /** The same loss as kernel terms (absent where no kernel computes it). */
  readonly kernel?: ReadonlyArray<KernelPart>;
}

/**
 * `loss` described to list kernels by `terms` (each of scale 1 unless given).
 * @example
 * ```ts
 * const bpr = withKernelTerms((s, w, g) => rowBprGradient()(s, w, g), [{ kind: "bpr", positive: 0, negative: 1 }]);
 * bpr.kernel; // [{ term: { kind: "bpr", positive: 0, negative: 1 }, scale: 1 }]
 * ```
 * @category Closed form
 */
export const withKernelTerms = (
  loss: (scores: ScoreArrays, weight: number, gradient: Float32Array) => number,
  terms: ReadonlyArray<KernelTerm | KernelPart>,
): ClosedFormLoss => Object.assign(loss, { kernel: terms.map((t) => ("term" in t ? t : { term: t, scale: 1 })) });

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
export const rowBprGradient = (negativeFirst = false): ClosedFormLoss =>
  negativeFirst ? columnBprGradient(1, 0) : columnBprGradient(0, 1);

/** BPR on columns `positive` and `negative` of each row. */
const columnBprGradient = (positive: number, negative: number): ClosedFormLoss =>
  withKernelTerms(
    ({ rows, width, student }, weight, gradient) => {
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
    },
    [{ kind: "bpr", positive, negative }],
  );

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
  const loss = (scores: ScoreArrays, weight: number, gradient: Float32Array): number => {
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
  // Weighted targets depend on the step's scores through a function: no kernel term for them.
  return candidateWeights === undefined
    ? withKernelTerms(loss, [{ kind: "soft-label", first, count, temperature }])
    : loss;
};

/**
 * Mean squared error between the student's and the teacher's scores over every entry, as
 * {@link meanSquaredError}.
 * @category Closed form
 */
export const squaredErrorGradient: ClosedFormLoss = withKernelTerms(
  ({ student, teacher }, weight, gradient) => {
    if (teacher === undefined) throw new Error("mean squared error needs the teacher's scores");
    const n = student.length;
    let total = 0;
    for (let k = 0; k < n; k++) {
      const difference = student[k]! - teacher[k]!;
      total += difference * difference;
      gradient[k]! += (2 * weight * difference) / n;
    }
    return total / n;
  },
  [{ kind: "squared-error" }],
);

/**
 * Ranking distillation with a sampled negative, as {@link rankingDistillation} on columns
 * `first … first + K − 1` (the teacher's top K) against column `negative`: mean over rows of
 * Σᵣ wᵣ · softplus(s⁻ − sᵣ).
 * @category Closed form
 */
export const rankingDistillationGradient = (first: number, weights: Float32Array, negative: number): ClosedFormLoss =>
  withKernelTerms(
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
    },
    [{ kind: "ranking", first, negative, rankWeights: weights }],
  );

/**
 * Listwise ranking distillation, as {@link plackettLuceLoss} on columns `first … first + count − 1`
 * (the teacher's top items in its order) with the next `below` columns in every denominator: mean
 * over rows of Σᵣ [log Dᵣ − sᵣ], Dᵣ = Σ_{j≥r} e^{sⱼ} + Σ e^{below}. Its gradient is e^{sₖ}·Σ_{r≤k}
 * 1/Dᵣ − 1 on a top item and e^{b}·Σᵣ 1/Dᵣ on an item below, over rows.
 * @example
 * ```ts
 * const gradient = new Float32Array(3);
 * plackettLuceGradient(0, 2, 1)({ rows: 1, width: 3, student: Float32Array.of(2, 1, 0) }, 1, gradient);
 * // ≈ 0.7209 (log(e²+e+1) − 2 + log(e+1) − 1); gradient ≈ [-0.335, -0.024, 0.359]
 * ```
 * @category Closed form
 */
export const plackettLuceGradient = (first: number, count: number, below: number): ClosedFormLoss => {
  const n = count + below;
  // Scratch rows, reused across steps.
  const exps = new Float64Array(n);
  const denominators = new Float64Array(count);
  return withKernelTerms(
    ({ rows, width, student }, weight, gradient) => {
      let total = 0;
      for (let b = 0; b < rows; b++) {
        const at = b * width + first;
        let shift = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < n; j++) shift = Math.max(shift, student[at + j]!);
        let suffix = 0;
        for (let j = 0; j < n; j++) {
          exps[j] = Math.exp(student[at + j]! - shift);
          if (j >= count) suffix += exps[j]!;
        }
        for (let r = count - 1; r >= 0; r--) {
          suffix += exps[r]!;
          denominators[r] = suffix;
        }
        let inverseSum = 0;
        for (let r = 0; r < count; r++) {
          total += Math.log(denominators[r]!) + shift - student[at + r]!;
          inverseSum += 1 / denominators[r]!;
          gradient[at + r]! += (weight * (exps[r]! * inverseSum - 1)) / rows;
        }
        for (let j = count; j < n; j++) gradient[at + j]! += (weight * exps[j]! * inverseSum) / rows;
      }
      return total / rows;
    },
    [{ kind: "plackett-luce", first, count, below }],
  );
};

/**
 * Pointwise soft-label distillation over columns `first … first + count − 1`, as
 * {@link softBinaryCrossEntropy}: T² · mean over those entries of BCE(σ(s/T); σ(t/T)) =
 * softplus(s/T) − (s/T)·σ(t/T), whose gradient is T · (σ(s/T) − σ(t/T)) per entry, over the entries.
 * @example
 * ```ts
 * const gradient = new Float32Array(2);
 * softBinaryCrossEntropyGradient(0, 2, 1)({ rows: 1, width: 2, student: Float32Array.of(0, 0), teacher: Float32Array.of(0, 0) }, 1, gradient);
 * // ≈ 0.6931 (log 2); gradient [0, 0]
 * ```
 * @category Closed form
 */
export const softBinaryCrossEntropyGradient = (first: number, count: number, temperature: number): ClosedFormLoss =>
  withKernelTerms(
    ({ rows, width, student, teacher }, weight, gradient) => {
      if (teacher === undefined) throw new Error("soft binary cross-entropy needs the teacher's scores");
      const t = temperature;
      const n = rows * count;
      let total = 0;
      for (let b = 0; b < rows; b++)
        for (let j = 0; j < count; j++) {
          const at = b * width + first + j;
          const x = student[at]! / t;
          const target = sigmoid(teacher[at]! / t);
          total += softplus(x) - x * target;
          gradient[at]! += (weight * t * (sigmoid(x) - target)) / n;
        }
      return (t * t * total) / n;
    },
    [{ kind: "soft-bce", first, count, temperature }],
  );

/**
 * The closed form a kernel term describes (what a model takes step by step where its kernel
 * does not apply).
 * @example
 * ```ts
 * const gradient = new Float32Array(4);
 * closedFormOf({ kind: "bpr", positive: 0, negative: 1 })({ rows: 2, width: 2, student: Float32Array.of(2, 0, 0, 1) }, 1, gradient); // ≈ 0.7201
 * ```
 * @category Closed form
 */
export const closedFormOf = (term: KernelTerm): ClosedFormLoss => {
  switch (term.kind) {
    case "bpr":
      return columnBprGradient(term.positive, term.negative);
    case "soft-label":
      return softLabelGradient(term.first, term.count, term.temperature);
    case "squared-error":
      return squaredErrorGradient;
    case "ranking":
      return rankingDistillationGradient(term.first, term.rankWeights, term.negative);
    case "plackett-luce":
      return plackettLuceGradient(term.first, term.count, term.below);
    case "soft-bce":
      return softBinaryCrossEntropyGradient(term.first, term.count, term.temperature);
  }
};

/**
 * What is wrong with a kernel term on rows of `width` items (a column outside the row, an empty
 * slice, a temperature that is not positive), or undefined.
 * @example
 * ```ts
 * kernelTermProblem({ kind: "plackett-luce", first: 2, count: 10, below: 50 }, 22); // "plackett-luce reads columns 2 … 61 of rows of 22"
 * ```
 * @category Closed form
 */
export const kernelTermProblem = (term: KernelTerm, width: number): string | undefined => {
  const columns = (first: number, count: number, ...others: number[]): string | undefined => {
    const all = [first, first + count - 1, ...others];
    return count >= 1 && all.every((c) => Number.isInteger(c) && c >= 0 && c < width)
      ? undefined
      : `${term.kind} reads columns ${first} … ${first + count - 1}${others.map((c) => `, ${c}`).join("")} of rows of ${width}`;
  };
  switch (term.kind) {
    case "bpr":
      return term.positive === term.negative ? "bpr needs two columns" : columns(term.positive, 1, term.negative);
    case "soft-label":
    case "soft-bce":
      return term.temperature > 0 ? columns(term.first, term.count) : `${term.kind} needs a positive temperature`;
    case "squared-error":
      return width >= 1 ? undefined : "squared-error needs a column";
    case "ranking":
      return columns(term.first, term.rankWeights.length, term.negative);
    case "plackett-luce":
      return columns(term.first, term.count + term.below);
  }
};

/**
 * Loss mixtures as data (as in torchdistill): a list of named terms with weights that are numbers
 * or schedules over epochs or distillation rounds. A mixture can be printed, stored in a config
 * and inspected before it runs; the trainer only evaluates it.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ClosedFormLoss, ScoreArrays } from "./closed_form.js";

/**
 * Where training is: the epoch (from 0) and the distillation round (from 0).
 * @category Mixtures
 */
export interface TrainingProgress {
  readonly epoch: number;
  readonly round: number;
}

/**
 * A value that changes with progress: constant, linear from `from` to `to` over `over` epochs or
 * rounds (then held at `to`), or one value per round (the last held after them).
 * @category Mixtures
 */
export type Schedule =
  | { readonly kind: "constant"; readonly value: number }
  | {
      readonly kind: "linear";
      readonly from: number;
      readonly to: number;
      readonly over: number;
      readonly unit: "epoch" | "round";
    }
  | { readonly kind: "per-round"; readonly values: ReadonlyArray<number> };

/**
 * The value of a weight (or any scheduled setting, such as a temperature) at `progress`.
 * @example
 * ```ts
 * weightAt({ kind: "linear", from: 0.8, to: 0.2, over: 4, unit: "round" }, { epoch: 90, round: 2 }); // 0.5
 * ```
 * @category Mixtures
 */
export const weightAt = (weight: number | Schedule, progress: TrainingProgress): number => {
  if (typeof weight === "number") return weight;
  if (weight.kind === "constant") return weight.value;
  if (weight.kind === "per-round") return weight.values[Math.min(progress.round, weight.values.length - 1)]!;
  const t = Math.min(1, (weight.unit === "epoch" ? progress.epoch : progress.round) / Math.max(1, weight.over));
  return weight.from + (weight.to - weight.from) * t;
};

/**
 * 1 − `weight` at every point of its schedule: the task loss's share when `weight` is α.
 * @category Mixtures
 */
export const complement = (weight: number | Schedule): number | Schedule => {
  if (typeof weight === "number") return 1 - weight;
  switch (weight.kind) {
    case "constant":
      return { kind: "constant", value: 1 - weight.value };
    case "linear":
      return { ...weight, from: 1 - weight.from, to: 1 - weight.to };
    case "per-round":
      return { kind: "per-round", values: weight.values.map((v) => 1 - v) };
  }
};

/**
 * A schedule in a few characters, for names and logs: `0.5`, `0.8→0.2`, `[0.8,0.5,0.2]`.
 * @category Mixtures
 */
export const describeSchedule = (weight: number | Schedule): string => {
  if (typeof weight === "number") return String(weight);
  switch (weight.kind) {
    case "constant":
      return String(weight.value);
    case "linear":
      return `${weight.from}→${weight.to}`;
    case "per-round":
      return `[${weight.values.join(",")}]`;
  }
};

/**
 * One named, weighted term of a mixture: `compute` turns the batch's inputs (and, for a term
 * whose own settings follow a schedule, the progress) into a scalar.
 * @category Mixtures
 */
export interface LossTerm<I> {
  readonly name: string;
  readonly weight: number | Schedule;
  readonly compute: (inputs: I, progress: TrainingProgress) => tf.Scalar;
  /** Settings of the term that may follow a schedule (a soft-label `temperature`), for logs. */
  readonly settings?: Readonly<Record<string, number | Schedule>>;
  /** The same loss with its gradient in closed form, at `progress` (see {@link mixtureGradient}). */
  readonly closedForm?: (progress: TrainingProgress) => ClosedFormLoss;
}

/**
 * A term; the weight defaults to 1.
 * @category Mixtures
 */
export const lossTerm = <I>(
  name: string,
  compute: (inputs: I, progress: TrainingProgress) => tf.Scalar,
  weight: number | Schedule = 1,
  settings?: Readonly<Record<string, number | Schedule>>,
): LossTerm<I> => ({
  name,
  weight,
  compute,
  ...(settings === undefined ? {} : { settings }),
});

/**
 * `term` with its loss in closed form too: a mixture of such terms trains without the tensor
 * engine ({@link mixtureGradient}).
 * @example
 * ```ts
 * const bpr = withClosedForm(lossTerm("bpr", (s: tf.Tensor2D) => rowBprLoss(s)), () => rowBprGradient());
 * ```
 * @category Mixtures
 */
export const withClosedForm = <I>(
  term: LossTerm<I>,
  closedForm: (progress: TrainingProgress) => ClosedFormLoss,
): LossTerm<I> => ({ ...term, closedForm });

/**
 * Whether every term of a mixture has a closed form ({@link withClosedForm}).
 * @category Mixtures
 */
export const hasClosedForm = <I>(terms: ReadonlyArray<LossTerm<I>>): boolean =>
  terms.every((term) => term.closedForm !== undefined);

/**
 * {@link mixtureLoss} in closed form: adds ∂(Σ wᵢ·lossᵢ)/∂scores to `gradient` and returns the
 * total and each term's unweighted value. Every term must have a closed form
 * ({@link hasClosedForm}); terms whose weight is 0 at this point are skipped, as there.
 * @example
 * ```ts
 * const terms = [withClosedForm(lossTerm("bpr", (s: tf.Tensor2D) => rowBprLoss(s)), () => rowBprGradient())];
 * const gradient = new Float32Array(4);
 * mixtureGradient(terms, { rows: 2, width: 2, student: Float32Array.of(2, 0, 0, 1) }, { epoch: 0, round: 0 }, gradient);
 * // { total: ≈0.7201, parts: { bpr: ≈0.7201 } }; gradient ≈ [-0.060, 0.060, -0.366, 0.366]
 * ```
 * @category Mixtures
 */
export const mixtureGradient = <I>(
  terms: ReadonlyArray<LossTerm<I>>,
  scores: ScoreArrays,
  progress: TrainingProgress,
  gradient: Float32Array,
): { readonly total: number; readonly parts: Readonly<Record<string, number>> } => {
  const parts: Record<string, number> = {};
  let total = 0;
  for (const term of terms) {
    const weight = weightAt(term.weight, progress);
    if (weight === 0) continue;
    if (term.closedForm === undefined) throw new Error(`mixtureGradient: term ${term.name} has no closed form`);
    const value = term.closedForm(progress)(scores, weight, gradient);
    parts[term.name] = value;
    total += weight * value;
  }
  return { total, parts };
};

/**
 * A term's name without its settings, as reports and logs key it: `soft-label-ce(T=0.5)` →
 * `soft-label-ce`.
 * @example
 * ```ts
 * termBaseName("soft-label-ce(T=0.5)"); // "soft-label-ce"
 * ```
 * @category Mixtures
 */
export const termBaseName = (name: string): string => name.replace(/\(.*$/, "");

/**
 * Each term's weight and scheduled settings at `progress`, by name (`weight/bpr`,
 * `weight/soft-label-ce`, `soft-label-ce/temperature`): what α and T were at an epoch.
 * @example
 * ```ts
 * mixtureSettings([lossTerm("bpr", () => tf.scalar(0), 0.2)], { epoch: 0, round: 0 }); // { "weight/bpr": 0.2 }
 * ```
 * @category Mixtures
 */
export const mixtureSettings = <I>(
  terms: ReadonlyArray<LossTerm<I>>,
  progress: TrainingProgress,
): Readonly<Record<string, number>> => {
  const out: Record<string, number> = {};
  for (const term of terms) {
    const name = termBaseName(term.name);
    out[`weight/${name}`] = weightAt(term.weight, progress);
    for (const [key, value] of Object.entries(term.settings ?? {})) out[`${name}/${key}`] = weightAt(value, progress);
  }
  return out;
};

/**
 * The mixture's total Σ wᵢ·lossᵢ at `progress`, and each term's unweighted value (for logs).
 * Terms whose weight is 0 at this point are not computed.
 * @category Mixtures
 */
export const mixtureLoss = <I>(
  terms: ReadonlyArray<LossTerm<I>>,
  inputs: I,
  progress: TrainingProgress,
): { readonly total: tf.Scalar; readonly parts: Readonly<Record<string, tf.Scalar>> } =>
  tf.tidy(() => {
    const parts: Record<string, tf.Scalar> = {};
    let total: tf.Scalar = tf.scalar(0);
    for (const term of terms) {
      const weight = weightAt(term.weight, progress);
      if (weight === 0) continue;
      const value = term.compute(inputs, progress);
      parts[term.name] = value;
      total = tf.add(total, tf.mul(value, weight)) as tf.Scalar;
    }
    return { total, parts };
  });

/**
 * A one-line description: `0.2·bpr + 0.8·soft-label-ce` at `progress`.
 * @category Mixtures
 */
export const describeMixture = <I>(
  terms: ReadonlyArray<LossTerm<I>>,
  progress: TrainingProgress = { epoch: 0, round: 0 },
): string => terms.map((term) => `${Number(weightAt(term.weight, progress).toFixed(4))}·${term.name}`).join(" + ");

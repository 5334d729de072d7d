/**
 * Strategies as values: which distillation loss, with which ratio and temperature, for how many
 * rounds, then how long a fine-tuning phase on the task loss. A strategy is data — it can be
 * decoded from a config, printed, compared — built with small combinators in a `pipe`:
 * `pipe(oneWay(softLabel(100)), withRatio(0.8), withTemperature(0.5))`.
 * @module
 */
import { integerInRange, positiveNumber, unitInterval } from "@kdrec/core";
import * as t from "io-ts";

/**
 * The distillation loss of a one-way strategy:
 * - `soft-label`: listwise soft-label cross-entropy over the positive and `candidates` items: the
 *   first `teacherTop` of them drawn from the teacher's top 5·`teacherTop` unobserved items (default
 *   0), the rest uniform;
 * - `mse`: squared error between student and teacher scores on the positive, the negative and `candidates` uniform items;
 * - `ranking`: the teacher's `topK` unobserved items as extra BPR positives, weighted ∝ exp(−rank/`lambda`);
 * - `listwise-ranking`: the Plackett–Luce likelihood of the teacher's top-`topK` order under the
 *   student's scores, with `below` uniform items in every denominator (RRD, Kang et al. CIKM 2020).
 * @category Strategies
 */
export const DistillationLoss = t.union(
  [
    t.intersection([
      t.type({ kind: t.literal("soft-label") }),
      t.partial({ candidates: integerInRange(1), temperature: positiveNumber, teacherTop: integerInRange(0) }),
    ]),
    t.intersection([t.type({ kind: t.literal("mse") }), t.partial({ candidates: integerInRange(0) })]),
    t.intersection([
      t.type({ kind: t.literal("ranking") }),
      t.partial({ topK: integerInRange(1), lambda: positiveNumber }),
    ]),
    t.intersection([
      t.type({ kind: t.literal("listwise-ranking") }),
      t.partial({ topK: integerInRange(1), below: integerInRange(0) }),
    ]),
  ],
  "DistillationLoss",
);
/**
 * The decoded form of {@link DistillationLoss}.
 * @category Strategies
 */
export type DistillationLoss = t.TypeOf<typeof DistillationLoss>;

/**
 * Feature alignment (FitNets-style hints) added to a one-way strategy: the student's level-1 and
 * level-2 vectors, through projections it learns, should match the teacher's first-block output and
 * final user representation; `weight` scales the term.
 * @category Strategies
 */
export const FeatureAlignmentSpec = t.intersection(
  [
    t.type({ weight: positiveNumber }),
    t.partial({ distance: t.keyof({ l2: null, cosine: null }), normalize: t.boolean }),
  ],
  "FeatureAlignmentSpec",
);
/**
 * The decoded form of {@link FeatureAlignmentSpec}.
 * @category Strategies
 */
export type FeatureAlignmentSpec = t.TypeOf<typeof FeatureAlignmentSpec>;

/**
 * A training strategy: `none` (the task loss alone, no teacher) or `one-way` distillation.
 * In one-way distillation the loss is (1 − α)·BPR + α·distillation for `rounds` × `epochsPerRound`
 * epochs, then BPR alone for up to `finetuneEpochs`; early stopping on validation NDCG@10 applies
 * throughout and the best model is kept.
 * @category Strategies
 */
export const Strategy = t.union(
  [
    t.type({ kind: t.literal("none") }),
    t.intersection([
      t.type({ kind: t.literal("one-way"), loss: DistillationLoss }),
      t.partial({
        alpha: unitInterval,
        rounds: integerInRange(1, 1000),
        epochsPerRound: integerInRange(1, 10_000),
        finetuneEpochs: integerInRange(0, 10_000),
        featureAlignment: FeatureAlignmentSpec,
      }),
    ]),
    t.intersection([
      t.type({ kind: t.literal("two-way") }),
      t.partial({
        /** The student's weight on learning from the teacher; default 0.5. */
        alpha: unitInterval,
        /** The teacher's weight on learning from the student; default 0.1. */
        teacherAlpha: unitInterval,
        /** Items per row both learn from (beyond the positive and the negative); default 10. */
        candidates: integerInRange(1, 10_000),
        /** `rank-discrepancy` (default): items one model ranks much higher than the other; or `uniform`. */
        sampling: t.keyof({ uniform: null, "rank-discrepancy": null }),
        /**
         * What each side fits of the other's scores: `soft-bce` (default; the paper's soft binary
         * targets on the sampled items) or `soft-label` (the listwise soft-label cross-entropy of
         * one-way distillation over the positive and the sampled items, T² scaled): two one-way
         * soft-label flows on one schedule.
         */
        targets: t.keyof({ "soft-bce": null, "soft-label": null }),
        /** Temperature of the targets; default 1. */
        temperature: positiveNumber,
        /** Epochs of mutual training at most (early stopping on the student); default 100. */
        epochs: integerInRange(1, 10_000),
      }),
    ]),
  ],
  "Strategy",
);
/**
 * The decoded form of {@link Strategy}.
 * @category Strategies
 */
export type Strategy = t.TypeOf<typeof Strategy>;

/** A one-way strategy (the variant of {@link Strategy} the combinators refine). @category Strategies */
export type OneWay = Extract<Strategy, { kind: "one-way" }>;

/** A two-way strategy: teacher and student train together and teach each other. @category Strategies */
export type TwoWay = Extract<Strategy, { kind: "two-way" }>;

/**
 * Two-way (bidirectional) distillation, as in Bidirectional Distillation for top-K recommendation
 * (Kang et al., WWW 2021): both models train together, each also fitting the other's soft binary
 * predictions on items sampled where the two rankings disagree most (`uniform` sampling gives deep
 * mutual learning). Defaults: α 0.5 (student), 0.1 (teacher), 10 items, T 1, 100 epochs.
 * @category Strategies
 */
export const twoWay = (options: Omit<TwoWay, "kind"> = {}): TwoWay => ({ kind: "two-way", ...options });

/**
 * Training without a teacher.
 * @category Strategies
 */
export const noDistillation: Strategy = { kind: "none" };

/**
 * One-way distillation with `loss`; defaults: α 0.8, 5 rounds of 40 epochs, 20 fine-tuning epochs.
 * @category Strategies
 */
export const oneWay = (loss: DistillationLoss): OneWay => ({
  kind: "one-way",
  loss,
  alpha: 0.8,
  rounds: 5,
  epochsPerRound: 40,
  finetuneEpochs: 20,
});

/** Soft-label loss over the positive and `candidates` uniform items (T defaults to 1). @category Strategies */
export const softLabel = (candidates = 100, temperature = 1): DistillationLoss => ({
  kind: "soft-label",
  candidates,
  temperature,
});
/** MSE on the positive, the negative and `candidates` uniform items. @category Strategies */
export const mseDistillation = (candidates = 14): DistillationLoss => ({ kind: "mse", candidates });
/** Tang & Wang's ranking distillation with the teacher's top `topK`. @category Strategies */
export const rankingDistillationLoss = (topK = 10, lambda = 5): DistillationLoss => ({ kind: "ranking", topK, lambda });

/**
 * RRD's listwise ranking distillation: the teacher's top `topK` order under Plackett–Luce, against
 * `below` uniform items. @category Strategies
 */
export const listwiseRankingDistillation = (topK = 10, below = 50): DistillationLoss => ({
  kind: "listwise-ranking",
  topK,
  below,
});

/** Sets the distillation ratio α. @category Strategies */
export const withRatio =
  (alpha: number) =>
  (strategy: OneWay): OneWay => ({ ...strategy, alpha });
/** Sets the temperature of a soft-label loss (other losses have none and are returned unchanged). @category Strategies */
export const withTemperature =
  (temperature: number) =>
  (strategy: OneWay): OneWay =>
    strategy.loss.kind === "soft-label" ? { ...strategy, loss: { ...strategy.loss, temperature } } : strategy;
/**
 * Draws the first `n` soft-label candidates from the teacher's top 5·`n` unobserved items
 * (other losses are returned unchanged).
 * @category Strategies
 */
export const withTeacherCandidates =
  (n: number) =>
  (strategy: OneWay): OneWay =>
    strategy.loss.kind === "soft-label" ? { ...strategy, loss: { ...strategy.loss, teacherTop: n } } : strategy;

/**
 * How many of the teacher's top unobserved items per user a strategy reads (0 for none): the
 * `topK` of (listwise) ranking distillation, 5·`teacherTop` of a soft-label loss with teacher candidates.
 * @category Strategies
 */
export const teacherTopKNeeded = (strategy: Strategy): number => {
  if (strategy.kind !== "one-way") return 0;
  const { loss } = strategy;
  if (loss.kind === "ranking" || loss.kind === "listwise-ranking") return loss.topK ?? 10;
  if (loss.kind === "soft-label") return 5 * (loss.teacherTop ?? 0);
  return 0;
};

/**
 * Adds feature alignment (needs a student and a teacher that expose features).
 * @category Strategies
 */
export const withFeatureAlignment =
  (weight: number, options: Omit<FeatureAlignmentSpec, "weight"> = {}) =>
  (strategy: OneWay): OneWay => ({ ...strategy, featureAlignment: { weight, ...options } });

/** Sets the number of distillation rounds and their length. @category Strategies */
export const withRounds =
  (rounds: number, epochsPerRound = 40) =>
  (strategy: OneWay): OneWay => ({ ...strategy, rounds, epochsPerRound });
/** Sets the length of the fine-tuning phase. @category Strategies */
export const withFinetuning =
  (finetuneEpochs: number) =>
  (strategy: OneWay): OneWay => ({ ...strategy, finetuneEpochs });

/**
 * The names of the losses a strategy trains with (for reports).
 * @category Strategies
 */
export const lossNames = (strategy: Strategy): string[] => {
  if (strategy.kind === "none") return ["bpr"];
  if (strategy.kind === "two-way") return ["bpr", strategy.targets === "soft-label" ? "soft-label-ce" : "soft-bce"];
  const kd = {
    "soft-label": "soft-label-ce",
    mse: "mse",
    ranking: "ranking-distillation",
    "listwise-ranking": "plackett-luce",
  }[strategy.loss.kind];
  return strategy.featureAlignment === undefined ? ["bpr", kd] : ["bpr", kd, "feature-alignment"];
};

/**
 * A one-line description: `one-way soft-label (α=0.8, T=0.5, 5×40 epochs, fine-tune 20)`.
 * @category Strategies
 */
export const describeStrategy = (strategy: Strategy): string => {
  if (strategy.kind === "none") return "none";
  if (strategy.kind === "two-way")
    return `two-way ${strategy.targets ?? "soft-bce"} (α=${strategy.alpha ?? 0.5}, teacher α=${strategy.teacherAlpha ?? 0.1}, ${strategy.candidates ?? 10} ${strategy.sampling ?? "rank-discrepancy"} items, T=${strategy.temperature ?? 1}, ≤${strategy.epochs ?? 100} epochs)`;
  const { loss } = strategy;
  const detail = (() => {
    switch (loss.kind) {
      case "soft-label": {
        const fromTeacher = loss.teacherTop ?? 0;
        const pool = fromTeacher > 0 ? ` (${fromTeacher} from the teacher's top ${5 * fromTeacher})` : "";
        return `T=${loss.temperature ?? 1}, ${loss.candidates ?? 100} candidates${pool}`;
      }
      case "mse":
        return `${loss.candidates ?? 14} candidates`;
      case "ranking":
        return `top ${loss.topK ?? 10}, λ=${loss.lambda ?? 5}`;
      case "listwise-ranking":
        return `top ${loss.topK ?? 10}, ${loss.below ?? 50} items below`;
    }
  })();
  const align = strategy.featureAlignment;
  const features =
    align === undefined
      ? ""
      : `, feature alignment ${align.distance ?? "l2"}${align.normalize === true ? " normalised" : ""} ×${align.weight}`;
  return `one-way ${loss.kind} (α=${strategy.alpha ?? 0.8}, ${detail}${features}, ${strategy.rounds ?? 5}×${strategy.epochsPerRound ?? 40} epochs, fine-tune ${strategy.finetuneEpochs ?? 20})`;
};

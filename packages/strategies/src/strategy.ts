/**
 * Strategies as values: which distillation loss, with which ratio and temperature, for how many
 * rounds, then how long a fine-tuning phase on the task loss. A strategy is data — it can be
 * decoded from a config, printed, compared — built with small combinators in a `pipe`:
 * `pipe(oneWay(softLabel(100)), withRatio(0.8), withTemperature(0.5))`. Its defaults are
 * resolved in one place, {@link resolveStrategy}.
 * @module
 */
import {
  integerInRange,
  type KdrecError,
  positiveAtMost,
  positiveNumber,
  strictType,
  taggedUnion,
  unitInterval,
} from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { type CatalogueDraw, DistillationLoss, lossEntry } from "./loss_table.js";
import {
  checkRepresentation,
  RepresentationSpec,
  type ResolvedRepresentation,
  representationTermName,
  resolveRepresentation,
} from "./representation.js";
import { checkRoundValue, describeRoundValue, type RoundValue, roundValue } from "./round_values.js";

/**
 * Feature alignment (FitNets-style hints) added to a one-way strategy: the student's level-1 and
 * level-2 vectors, through projections it learns, should match the teacher's first-block output and
 * final user representation; `weight` scales the term.
 * @category Strategies
 */
export const FeatureAlignmentSpec = strictType(
  { weight: positiveNumber },
  { distance: t.keyof({ l2: null, cosine: null }), normalize: t.boolean },
  "FeatureAlignmentSpec",
);
/**
 * The decoded form of {@link FeatureAlignmentSpec}.
 * @category Strategies
 */
export type FeatureAlignmentSpec = t.TypeOf<typeof FeatureAlignmentSpec>;

/**
 * Training without a teacher: the task loss (BPR) alone.
 * @category Strategies
 */
export interface NoDistillation {
  readonly kind: "none";
}

/**
 * The fine-tuning phase after the distillation rounds: BPR alone for up to `epochs`, training
 * every parameter or only the named parts (`["users"]`: an MF student's user table).
 * @category Strategies
 */
export interface Finetune {
  /** Default 20; 0 skips fine-tuning. */
  readonly epochs?: number;
  /** The parts of the model that train (its `trainableParts`); default all. */
  readonly train?: ReadonlyArray<string>;
}

/**
 * One-way distillation: `rounds` rounds of up to `epochsPerRound` epochs of (1 − α)·BPR +
 * α·distillation, then fine-tuning on BPR alone. Each round refreshes what the loss draws from
 * the teacher (ranking losses with a `pool`), α (and a soft-label temperature) may change from
 * round to round, early stopping on validation NDCG@10 ends a round (not the rest), and the
 * fine-tuning phase starts from the best model so far and always runs. The best model is kept.
 * @category Strategies
 */
export interface OneWay {
  readonly kind: "one-way";
  readonly loss: DistillationLoss;
  /** The distillation ratio, per round if wished; default 0.8. */
  readonly alpha?: RoundValue;
  /** Default 5. */
  readonly rounds?: number;
  /** Default 40. */
  readonly epochsPerRound?: number;
  /** Default 20 epochs of every parameter. */
  readonly finetune?: Finetune;
  readonly featureAlignment?: FeatureAlignmentSpec;
  /** Representation distillation (topology, distillation experts) beside the loss on scores. */
  readonly representation?: RepresentationSpec;
}

/**
 * Two-way (bidirectional) distillation, as in Bidirectional Distillation for Top-K Recommender
 * Systems (Kweon, Kang and Yu, WWW 2021): teacher and student train together and teach each other.
 * @category Strategies
 */
export interface TwoWay {
  readonly kind: "two-way";
  /** The student's weight on learning from the teacher; default 0.5. */
  readonly alpha?: number;
  /** The teacher's weight on learning from the student; default 0.1. */
  readonly teacherAlpha?: number;
  /** Items per row both learn from (beyond the positive and the negative); default 10. */
  readonly candidates?: number;
  /** `rank-discrepancy` (default): items one model ranks much higher than the other; or `uniform`. */
  readonly sampling?: "uniform" | "rank-discrepancy";
  /**
   * What each side fits of the other's scores: `soft-bce` (default; the paper's soft binary
   * targets on the sampled items) or `soft-label` (the listwise soft-label cross-entropy of
   * one-way distillation over the positive and the sampled items): two one-way flows on one schedule.
   */
  readonly targets?: "soft-bce" | "soft-label";
  /** Temperature of the targets; default 1. */
  readonly temperature?: number;
  /** Epochs of mutual training at most (early stopping on the student); default 100. */
  readonly epochs?: number;
}

/**
 * A training strategy: `none`, `one-way` or `two-way` distillation.
 * @category Strategies
 */
export type Strategy = NoDistillation | OneWay | TwoWay;

const STRATEGY_KINDS = new Map([
  ["none", { required: {}, optional: {} }],
  [
    "one-way",
    {
      required: { loss: DistillationLoss },
      optional: {
        alpha: roundValue(unitInterval, "alpha"),
        rounds: integerInRange(1, 1000),
        epochsPerRound: integerInRange(1, 10_000),
        finetune: strictType(
          {},
          { epochs: integerInRange(0, 10_000), train: t.array(t.string, "part names") },
          "Finetune",
        ),
        featureAlignment: FeatureAlignmentSpec,
        representation: RepresentationSpec,
      },
    },
  ],
  [
    "two-way",
    {
      required: {},
      optional: {
        alpha: unitInterval,
        teacherAlpha: unitInterval,
        candidates: integerInRange(1, 10_000),
        sampling: t.keyof({ uniform: null, "rank-discrepancy": null }),
        targets: t.keyof({ "soft-bce": null, "soft-label": null }),
        temperature: positiveAtMost(100),
        epochs: integerInRange(1, 10_000),
      },
    },
  ],
]);

/**
 * The codec of a {@link Strategy}: `kind` picks the variant and lists the valid kinds when it is
 * wrong; unknown keys are refused.
 * @category Strategies
 */
export const Strategy: t.Type<Strategy, Strategy, unknown> = taggedUnion<Strategy>(
  "kind",
  () => STRATEGY_KINDS,
  "Strategy",
);

/**
 * One-way defaults.
 * @category Strategies
 */
export const ONE_WAY_DEFAULTS = { alpha: 0.8, rounds: 5, epochsPerRound: 40, finetune: { epochs: 20 } } as const;

/**
 * Two-way defaults.
 * @category Strategies
 */
export const TWO_WAY_DEFAULTS = {
  alpha: 0.5,
  teacherAlpha: 0.1,
  candidates: 10,
  sampling: "rank-discrepancy",
  targets: "soft-bce",
  temperature: 1,
  epochs: 100,
} as const satisfies Required<Omit<TwoWay, "kind">>;

/**
 * A one-way strategy with every default filled in (the loss's too).
 * @category Strategies
 */
export interface ResolvedOneWay {
  readonly kind: "one-way";
  readonly loss: DistillationLoss;
  readonly alpha: RoundValue;
  readonly rounds: number;
  readonly epochsPerRound: number;
  readonly finetune: { readonly epochs: number; readonly train?: ReadonlyArray<string> };
  readonly featureAlignment?: Required<FeatureAlignmentSpec>;
  readonly representation?: ResolvedRepresentation;
}

/**
 * A two-way strategy with every default filled in.
 * @category Strategies
 */
export type ResolvedTwoWay = { readonly kind: "two-way" } & Required<Omit<TwoWay, "kind">>;

/**
 * A strategy with every default filled in: what plans, descriptions and saved configs read.
 * @category Strategies
 */
export type ResolvedStrategy = NoDistillation | ResolvedOneWay | ResolvedTwoWay;

/**
 * Fills in every default of `strategy`, once (the loss's from its entry in the loss table).
 * @example
 * ```ts
 * const resolved = resolveStrategy(oneWay(softLabel()));
 * if (resolved.kind === "one-way") console.log(resolved.rounds); // 5
 * ```
 * @category Strategies
 */
export const resolveStrategy = (strategy: Strategy): ResolvedStrategy => {
  if (strategy.kind === "none") return strategy;
  if (strategy.kind === "two-way") return { ...TWO_WAY_DEFAULTS, ...strategy };
  const { featureAlignment, representation, finetune, ...rest } = strategy;
  return {
    ...ONE_WAY_DEFAULTS,
    ...rest,
    finetune: { ...ONE_WAY_DEFAULTS.finetune, ...finetune },
    loss: lossEntry(strategy.loss).resolved as DistillationLoss,
    ...(featureAlignment === undefined
      ? {}
      : { featureAlignment: { distance: "l2", normalize: false, ...featureAlignment } }),
    ...(representation === undefined ? {} : { representation: resolveRepresentation(representation) }),
  };
};

/**
 * Two-way (bidirectional) distillation (Kweon, Kang and Yu, WWW 2021): both models train
 * together, each also fitting the other's soft binary predictions on items sampled where the two
 * rankings disagree most (`uniform` sampling gives deep mutual learning). Defaults in
 * {@link TWO_WAY_DEFAULTS}.
 * @category Strategies
 */
export const twoWay = (options: Omit<TwoWay, "kind"> = {}): TwoWay => ({ kind: "two-way", ...options });

/**
 * Training without a teacher.
 * @category Strategies
 */
export const noDistillation: Strategy = { kind: "none" };

/**
 * One-way distillation with `loss` and the defaults of {@link ONE_WAY_DEFAULTS}.
 * @category Strategies
 */
export const oneWay = (loss: DistillationLoss): OneWay => ({ kind: "one-way", loss, ...ONE_WAY_DEFAULTS });

/** Soft-label loss over the positive and `candidates` uniform items (T defaults to 1). @category Strategies */
export const softLabel = (candidates = 100, temperature: RoundValue = 1): DistillationLoss => ({
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

/** Sets the distillation ratio α (one value, a ramp across rounds, or one per round). @category Strategies */
export const withRatio =
  (alpha: RoundValue) =>
  (strategy: OneWay): OneWay => ({ ...strategy, alpha });
/** Sets the temperature of a soft-label loss (other losses have none and are returned unchanged). @category Strategies */
export const withTemperature =
  (temperature: RoundValue) =>
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
 * How many of the teacher's top unobserved items per user a strategy reads (0 for none), as its
 * loss's table entry says.
 * @category Strategies
 */
export const teacherTopKNeeded = (strategy: Strategy): number => {
  if (strategy.kind !== "one-way") return 0;
  const { entry, resolved } = lossEntry(strategy.loss);
  return entry.teacherTopK(resolved);
};

/**
 * The sizes a strategy draws from the catalogue (each must be smaller than it).
 * @category Strategies
 */
export const catalogueDraws = (strategy: Strategy): ReadonlyArray<CatalogueDraw> => {
  const resolved = resolveStrategy(strategy);
  if (resolved.kind === "two-way") return [{ field: "candidates", size: resolved.candidates, what: "candidates" }];
  if (resolved.kind === "none") return [];
  const { entry, resolved: loss } = lossEntry(resolved.loss);
  return entry.draws(loss);
};

/**
 * Adds feature alignment (needs a student and a teacher that expose features).
 * @category Strategies
 */
export const withFeatureAlignment =
  (weight: number, options: Omit<FeatureAlignmentSpec, "weight"> = {}) =>
  (strategy: OneWay): OneWay => ({ ...strategy, featureAlignment: { weight, ...options } });

/**
 * Adds representation distillation (`ftd`, `htd` or `de`; needs a student and a teacher that
 * expose their users' and items' vectors, such as MF): `pipe(oneWay(rankingDistillationLoss()),
 * withRepresentation({ method: "de" }))` is DE-RRD's pairing.
 * @category Strategies
 */
export const withRepresentation =
  (representation: RepresentationSpec) =>
  (strategy: OneWay): OneWay => ({ ...strategy, representation });

/** Sets the number of distillation rounds and their length. @category Strategies */
export const withRounds =
  (rounds: number, epochsPerRound = 40) =>
  (strategy: OneWay): OneWay => ({ ...strategy, rounds, epochsPerRound });
/**
 * Sets the fine-tuning phase: its length and, optionally, the only parts of the model it trains.
 * @category Strategies
 */
export const withFinetuning =
  (epochs: number, train?: ReadonlyArray<string>) =>
  (strategy: OneWay): OneWay => ({ ...strategy, finetune: train === undefined ? { epochs } : { epochs, train } });

/**
 * The problems of a strategy that its codec cannot see: a per-round list (α, a loss setting)
 * whose length is not the number of rounds.
 * @category Strategies
 */
export const checkStrategy = (strategy: Strategy): E.Either<KdrecError, void> => {
  const resolved = resolveStrategy(strategy);
  if (resolved.kind !== "one-way") return E.right(undefined);
  const alpha = checkRoundValue(resolved.alpha, resolved.rounds, "alpha");
  if (E.isLeft(alpha)) return alpha;
  for (const [key, value] of Object.entries(resolved.loss)) {
    const checked = checkRoundValue(value as RoundValue, resolved.rounds, `loss.${key}`);
    if (E.isLeft(checked)) return checked;
  }
  const representation = checkRepresentation(resolved.representation, resolved.rounds);
  if (E.isLeft(representation)) return representation;
  const { entry, resolved: loss } = lossEntry(resolved.loss);
  return entry.check?.(loss) ?? E.right(undefined);
};

/**
 * The names of the losses a strategy trains with (for reports).
 * @category Strategies
 */
export const lossNames = (strategy: Strategy): string[] => {
  const resolved = resolveStrategy(strategy);
  if (resolved.kind === "none") return ["bpr"];
  if (resolved.kind === "two-way") return ["bpr", resolved.targets === "soft-label" ? "soft-label-ce" : "soft-bce"];
  const kd = lossEntry(resolved.loss).entry.termName;
  return [
    "bpr",
    kd,
    ...(resolved.featureAlignment === undefined ? [] : ["feature-alignment"]),
    ...(resolved.representation === undefined ? [] : [representationTermName(resolved.representation.method)]),
  ];
};

/**
 * A one-line description: `one-way soft-label (α=0.8, T=0.5, 100 candidates, 5×40 epochs, fine-tune 20)`.
 * @category Strategies
 */
export const describeStrategy = (strategy: Strategy): string => {
  const s = resolveStrategy(strategy);
  if (s.kind === "none") return "none";
  if (s.kind === "two-way")
    return `two-way ${s.targets} (α=${s.alpha}, teacher α=${s.teacherAlpha}, ${s.candidates} ${s.sampling} items, T=${s.temperature}, ≤${s.epochs} epochs)`;
  const { entry, resolved } = lossEntry(s.loss);
  const align = s.featureAlignment;
  const features =
    align === undefined
      ? ""
      : `, feature alignment ${align.distance}${align.normalize ? " normalised" : ""} ×${align.weight}`;
  const parts = s.finetune.train === undefined ? "" : ` of ${s.finetune.train.join(", ")}`;
  const r = s.representation;
  const representation =
    r === undefined
      ? ""
      : `, ${r.method} ×${r.weight}${r.method === "ftd" ? "" : ` (${r.experts} experts, T=${describeRoundValue(r.temperature as RoundValue)})`}`;
  return `one-way ${s.loss.kind} (α=${describeRoundValue(s.alpha)}, ${entry.describe(resolved)}${features}${representation}, ${s.rounds}×${s.epochsPerRound} epochs, fine-tune ${s.finetune.epochs}${parts})`;
};

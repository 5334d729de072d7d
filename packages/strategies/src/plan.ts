/**
 * How a strategy trains one batch: the per-row item lists the student scores (and the teacher,
 * when there is one), and the loss mixture over those scores. The trainer runs every strategy
 * through this one interface.
 * @module
 */
import { column, type KdrecError, kdrecError, type Random } from "@kdrec/core";
import type { PairwiseBatch } from "@kdrec/data";
import {
  featureAlignment,
  type LossTerm,
  lossTerm,
  meanSquaredError,
  plackettLuceLoss,
  rankingDistillation,
  rankWeights,
  rowBprLoss,
  softBinaryCrossEntropy,
  softLabelCrossEntropy,
} from "@kdrec/losses";
import type { TeacherTargets } from "@kdrec/teachers";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { type Strategy, teacherTopKNeeded } from "./strategy.js";

/**
 * Scores of a batch's item lists: the student's (differentiated) and the teacher's (targets).
 * @category Plans
 */
export interface ScoredLists {
  readonly student: tf.Tensor2D;
  readonly teacher?: tf.Tensor2D;
  /** The student's features per level, each with the projection it learns into the teacher's space. */
  readonly studentFeatures?: ReadonlyArray<AlignedFeature>;
  /** The teacher's features per level (`[B, width]`), for the rows' users. */
  readonly teacherFeatures?: ReadonlyArray<tf.Tensor2D>;
}

/**
 * One level of a student's features (`[B, ds]`) and its learned projection (`[ds, dt]`).
 * @category Plans
 */
export interface AlignedFeature {
  readonly value: tf.Tensor2D;
  readonly projection: tf.Tensor2D;
}

/**
 * What the trainer does with one pairwise batch under a strategy and phase.
 * @category Plans
 */
export interface BatchPlan {
  /** Items per row of the lists. */
  readonly width: number;
  /** Whether the loss reads the teacher's scores of the lists. */
  readonly needsTeacherScores: boolean;
  /** Whether the loss reads both models' features (feature alignment). */
  readonly needsFeatures: boolean;
  /**
   * The rows' item lists: positive, negative, then what the strategy adds; `rows` are the
   * training interactions the rows stand for (sequence models read each row's history by them).
   */
  lists(batch: PairwiseBatch, rng: Random): { users: Int32Array; items: Int32Array; width: number; rows: Int32Array };
  /** The loss mixture over the lists' scores. */
  readonly terms: ReadonlyArray<LossTerm<ScoredLists>>;
  /**
   * Two-way: the teacher's own loss mixture (its scores as `student`, the student's as
   * `teacher`); present when both models train every batch.
   */
  readonly peerTerms?: ReadonlyArray<LossTerm<ScoredLists>>;
}

/**
 * What a plan may need: the catalogue size, and for ranking distillation the teacher's targets.
 * @category Plans
 */
export interface PlanContext {
  readonly numItems: number;
  readonly targets?: TeacherTargets;
  /**
   * Two-way: draws a row's extra item for `user` (the trainer re-derives it every epoch from the
   * two models' rankings); uniform when absent.
   */
  readonly sampleItem?: (user: number, rng: Random) => number;
}

/**
 * Training phases: `train` (no teacher), or distillation rounds then fine-tuning on the task loss.
 * @category Plans
 */
export type Phase = "train" | "distill" | "finetune";

/** BPR over the student's rows that start [positive, negative, …]. */
const bpr = (s: ScoredLists): tf.Scalar => rowBprLoss(s.student);

/** Rows of [positive, negative, …what `extra` writes from `offset`], drawing from the batch's stream. */
const lists =
  (width: number, extra: (user: number, out: Int32Array, offset: number, rng: Random) => void) =>
  (batch: PairwiseBatch, rng: Random) => {
    const items = new Int32Array(batch.users.length * width);
    for (let row = 0; row < batch.users.length; row++) {
      items[row * width] = batch.positives[row]!;
      items[row * width + 1] = batch.negatives[row]!;
      extra(batch.users[row]!, items, row * width + 2, rng);
    }
    return { users: batch.users, items, width, rows: batch.rows };
  };

/** Writes a user's candidates to `out[from..to)`. */
type CandidateSampler = (user: number, out: Int32Array, from: number, to: number, rng: Random) => void;

/** Uniform draws from the catalogue, in one loop (a call per candidate cost a third of a step). */
const uniformItems =
  (numItems: number): CandidateSampler =>
  (_user, out, from, to, rng) =>
    rng.fillInts(out, from, to, numItems);

/** Draws by a per-user item sampler. */
const sampledItems =
  (sampleItem: (user: number, rng: Random) => number): CandidateSampler =>
  (user, out, from, to, rng) => {
    for (let k = from; k < to; k++) out[k] = sampleItem(user, rng);
  };

/**
 * Lists of [positive, negative, n candidates] (or, with `negativeFirst`, [negative, positive, …]):
 * the first `fromTeacher` candidates drawn from the user's row of `targets`, the rest by `sample`.
 */
const withCandidates = (
  n: number,
  sample: CandidateSampler,
  negativeFirst: boolean,
  fromTeacher = 0,
  targets?: TeacherTargets,
) =>
  lists(n + 2, (user, out, offset, rng) => {
    if (negativeFirst) {
      const positive = out[offset - 2]!;
      out[offset - 2] = out[offset - 1]!;
      out[offset - 1] = positive;
    }
    for (let j = 0; j < fromTeacher; j++) out[offset + j] = targets!.items[user * targets!.k + rng.int(targets!.k)]!;
    sample(user, out, offset + fromTeacher, offset + n, rng);
  });

/** BPR over rows that start [negative, positive, …] (the soft-label layout). */
const negativeFirstBpr = (s: ScoredLists): tf.Scalar => rowBprLoss(s.student, true);

/**
 * The soft-label cross-entropy over rows [negative, positive, n candidates]: the distribution over
 * the positive and the candidates, one contiguous slice (a slice's gradient is cheap; a gather's
 * is not).
 */
const softLabelTerm = (n: number, temperature: number, weight: number): LossTerm<ScoredLists> => {
  const list = (scores: tf.Tensor2D) => tf.slice(scores, [0, 1], [-1, n + 1]) as tf.Tensor2D;
  return lossTerm(
    `soft-label-ce(T=${temperature})`,
    (s: ScoredLists) => softLabelCrossEntropy(list(s.student), list(teacherScores(s)), temperature),
    weight,
  );
};

/**
 * Two-way rows are [positive, negative, n sampled items] ([negative, positive, …] for soft-label
 * targets, so that the positive and the samples are one slice); each model minimises its BPR and,
 * on the sampled items, fits the other model's predictions: soft binary cross-entropy, or the
 * listwise soft-label cross-entropy over the positive and the samples.
 */
const twoWayPlan = (strategy: Extract<Strategy, { kind: "two-way" }>, context: PlanContext): BatchPlan => {
  const n = strategy.candidates ?? 10;
  const temperature = strategy.temperature ?? 1;
  const listwise = strategy.targets === "soft-label";
  const mixture = (alpha: number) =>
    listwise
      ? [lossTerm("bpr", negativeFirstBpr, 1 - alpha), softLabelTerm(n, temperature, alpha)]
      : [
          lossTerm("bpr", bpr, 1 - alpha),
          lossTerm(
            `soft-bce(T=${temperature})`,
            (s: ScoredLists) => {
              const sampled = (scores: tf.Tensor2D) => tf.slice(scores, [0, 2], [-1, n]);
              return softBinaryCrossEntropy(sampled(s.student), sampled(teacherScores(s)), temperature);
            },
            alpha,
          ),
        ];
  return {
    width: n + 2,
    needsTeacherScores: true,
    needsFeatures: false,
    lists: withCandidates(
      n,
      context.sampleItem === undefined ? uniformItems(context.numItems) : sampledItems(context.sampleItem),
      listwise,
    ),
    terms: mixture(strategy.alpha ?? 0.5),
    peerTerms: mixture(strategy.teacherAlpha ?? 0.1),
  };
};

/** A user's top `k` of the teacher's targets, in the teacher's order. */
const topOf = (targets: TeacherTargets, user: number, k: number): Int32Array =>
  targets.items.subarray(user * targets.k, user * targets.k + k);

/** The teacher's targets when they hold at least its top `k` per user. */
const teacherTargets = (
  context: PlanContext,
  k: number,
  what: string,
  path = "strategy.loss.topK",
): E.Either<KdrecError, TeacherTargets> =>
  context.targets !== undefined && context.targets.k >= k
    ? E.right(context.targets)
    : E.left(
        kdrecError(
          "INVALID_ARGUMENT",
          `${what} needs the teacher's top ${k} per user; got ${context.targets?.k ?? "none"}`,
          path,
        ),
      );

/**
 * Lists [positive, negative, the teacher's top `k` in its order, `below` uniform items], trained by
 * (1 − α)·BPR + α·`name` (computed by `distillation`). Fails without the teacher's top `k`.
 */
const teacherTopPlan = (
  context: PlanContext,
  { k, below, alpha, what }: { k: number; below: number; alpha: number; what: string },
  name: string,
  distillation: (s: ScoredLists) => tf.Scalar,
): E.Either<KdrecError, BatchPlan> => {
  const sample = uniformItems(context.numItems);
  return E.map((targets: TeacherTargets) => ({
    width: k + below + 2,
    needsTeacherScores: false,
    needsFeatures: false,
    lists: lists(k + below + 2, (user, out, offset, rng) => {
      out.set(topOf(targets, user, k), offset);
      sample(user, out, offset + k, offset + k + below, rng);
    }),
    terms: [lossTerm("bpr", bpr, 1 - alpha), lossTerm(name, distillation, alpha)],
  }))(teacherTargets(context, k, what));
};

const teacherScores = (scored: ScoredLists): tf.Tensor2D => {
  if (scored.teacher === undefined) throw new Error("a distillation loss ran without the teacher's scores");
  return scored.teacher;
};

/**
 * The plan of `strategy` in `phase`. Fails when (listwise) ranking distillation, or soft-label
 * candidates from the teacher, find no teacher targets (or fewer than they ask for).
 * @category Plans
 */
export const batchPlan = (strategy: Strategy, phase: Phase, context: PlanContext): E.Either<KdrecError, BatchPlan> => {
  const plan = distillationPlan(strategy, phase, context);
  if (E.isLeft(plan) || strategy.kind !== "one-way" || phase !== "distill" || strategy.featureAlignment === undefined)
    return plan;
  const { weight, ...options } = strategy.featureAlignment;
  const align = lossTerm(
    "feature-alignment",
    (s: ScoredLists) => {
      const student = s.studentFeatures ?? [];
      const teacher = s.teacherFeatures ?? [];
      if (student.length === 0 || student.length !== teacher.length)
        throw new Error(`feature alignment got ${student.length} student and ${teacher.length} teacher feature levels`);
      return tf.addN(
        student.map((level, k) => featureAlignment(level.value, teacher[k]!, level.projection, options)),
      ) as tf.Scalar;
    },
    weight,
  );
  return E.right({ ...plan.right, needsFeatures: true, terms: [...plan.right.terms, align] });
};

const distillationPlan = (strategy: Strategy, phase: Phase, context: PlanContext): E.Either<KdrecError, BatchPlan> => {
  const taskOnly: BatchPlan = {
    width: 2,
    needsTeacherScores: false,
    needsFeatures: false,
    lists: lists(2, () => undefined),
    terms: [lossTerm("bpr", bpr)],
  };
  if (strategy.kind === "none" || phase !== "distill") return E.right(taskOnly);
  if (strategy.kind === "two-way") return E.right(twoWayPlan(strategy, context));
  const alpha = strategy.alpha ?? 0.8;
  const { loss } = strategy;
  switch (loss.kind) {
    case "soft-label": {
      const n = loss.candidates ?? 100;
      const temperature = loss.temperature ?? 1;
      const fromTeacher = Math.min(loss.teacherTop ?? 0, n);
      const targets =
        fromTeacher > 0
          ? teacherTargets(
              context,
              teacherTopKNeeded(strategy),
              "drawing soft-label candidates",
              "strategy.loss.teacherTop",
            )
          : E.right(context.targets);
      if (E.isLeft(targets)) return targets;
      return E.right({
        width: n + 2,
        needsTeacherScores: true,
        needsFeatures: false,
        lists: withCandidates(n, uniformItems(context.numItems), true, fromTeacher, targets.right),
        terms: [lossTerm("bpr", negativeFirstBpr, 1 - alpha), softLabelTerm(n, temperature, alpha)],
      });
    }
    case "mse": {
      const n = loss.candidates ?? 14;
      return E.right({
        width: n + 2,
        needsTeacherScores: true,
        needsFeatures: false,
        lists: withCandidates(n, uniformItems(context.numItems), false),
        terms: [
          lossTerm("bpr", bpr, 1 - alpha),
          lossTerm("mse", (s: ScoredLists) => meanSquaredError(s.student, teacherScores(s)), alpha),
        ],
      });
    }
    case "ranking": {
      const k = loss.topK ?? 10;
      const weights = rankWeights(k, loss.lambda ?? 5);
      return teacherTopPlan(
        context,
        { k, below: 0, alpha, what: "ranking distillation" },
        "ranking-distillation",
        (s: ScoredLists) =>
          rankingDistillation(
            tf.slice(s.student, [0, 2], [-1, k]) as tf.Tensor2D,
            tf.tensor1d(weights),
            column(s.student, 1),
          ),
      );
    }
    case "listwise-ranking": {
      const k = loss.topK ?? 10;
      const below = loss.below ?? 50;
      return teacherTopPlan(
        context,
        { k, below, alpha, what: "listwise ranking distillation" },
        "plackett-luce",
        (s: ScoredLists) =>
          plackettLuceLoss(
            tf.slice(s.student, [0, 2], [-1, k]) as tf.Tensor2D,
            below > 0 ? (tf.slice(s.student, [0, k + 2], [-1, below]) as tf.Tensor2D) : undefined,
          ),
      );
    }
  }
};

/**
 * Losses that learn from the teacher's top-K unobserved items: ranking distillation (Tang & Wang,
 * KDD 2018: the top K as extra positives, weighted by rank) and RRD's listwise ranking
 * distillation (Kang et al., CIKM 2020: the top-K order under Plackett–Luce).
 * @module
 */
import { column, integerInRange, type KdrecError, kdrecError, positiveNumber } from "@kdrec/core";
import { lossTerm, plackettLuceLoss, rankingDistillation, rankWeights } from "@kdrec/losses";
import type { TeacherTargets } from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { topOf, uniformItems } from "./candidates.js";
import type { DistillationLossEntry, LossContext, LossPlan } from "./loss_table.js";
import { bprTerm, rowLists } from "./plan.js";
import type { ScoredLists } from "./scored_lists.js";

/**
 * The teacher's targets when they hold at least its top `k` per user.
 * @category Losses
 */
export const teacherTargets = (
  context: LossContext,
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
 * @category Losses
 */
export const teacherTopPlan = (
  context: LossContext,
  { k, below, what }: { k: number; below: number; what: string },
  name: string,
  distillation: (s: ScoredLists) => tf.Scalar,
): E.Either<KdrecError, LossPlan> => {
  const sample = uniformItems(context.numItems);
  return E.map((targets: TeacherTargets) => ({
    width: k + below + 2,
    lists: rowLists(k + below + 2, (user, out, offset, rng) => {
      out.set(topOf(targets, user, k), offset);
      sample(user, out, offset + k, offset + k + below, rng);
    }),
    terms: [bprTerm(1 - context.alpha), lossTerm(name, distillation, context.alpha)],
  }))(teacherTargets(context, k, what));
};

/**
 * Ranking distillation's options, resolved.
 * @category Losses
 */
export interface RankingLoss {
  readonly kind: "ranking";
  /** The teacher's top items per user; default 10. */
  readonly topK: number;
  /** The rank weights' decay, weights ∝ exp(−rank/λ); default 5. */
  readonly lambda: number;
}

/**
 * The ranking-distillation entry of the loss table.
 * @category Losses
 */
export const rankingLoss: DistillationLossEntry<RankingLoss> = {
  kind: "ranking",
  termName: "ranking-distillation",
  options: { topK: integerInRange(1), lambda: positiveNumber },
  defaults: { kind: "ranking", topK: 10, lambda: 5 },
  describe: (loss) => `top ${loss.topK}, λ=${loss.lambda}`,
  teacherTopK: (loss) => loss.topK,
  draws: (loss) => [{ field: "loss.topK", size: loss.topK, what: "topK" }],
  plan: (loss, context) => {
    const k = loss.topK;
    const weights = rankWeights(k, loss.lambda);
    return teacherTopPlan(context, { k, below: 0, what: "ranking distillation" }, "ranking-distillation", (s) =>
      rankingDistillation(
        tf.slice(s.student, [0, 2], [-1, k]) as tf.Tensor2D,
        tf.tensor1d(weights),
        column(s.student, 1),
      ),
    );
  },
};

/**
 * Listwise ranking distillation's options, resolved.
 * @category Losses
 */
export interface ListwiseRankingLoss {
  readonly kind: "listwise-ranking";
  /** The teacher's top items per user, whose order is learned; default 10. */
  readonly topK: number;
  /** Uniform items in every denominator; default 50. */
  readonly below: number;
}

/**
 * The listwise-ranking entry of the loss table.
 * @category Losses
 */
export const listwiseRankingLoss: DistillationLossEntry<ListwiseRankingLoss> = {
  kind: "listwise-ranking",
  termName: "plackett-luce",
  options: { topK: integerInRange(1), below: integerInRange(0) },
  defaults: { kind: "listwise-ranking", topK: 10, below: 50 },
  describe: (loss) => `top ${loss.topK}, ${loss.below} items below`,
  teacherTopK: (loss) => loss.topK,
  draws: (loss) => [
    { field: "loss.topK", size: loss.topK, what: "topK" },
    { field: "loss.below", size: loss.below, what: "below" },
  ],
  plan: (loss, context) => {
    const { topK: k, below } = loss;
    return teacherTopPlan(context, { k, below, what: "listwise ranking distillation" }, "plackett-luce", (s) =>
      plackettLuceLoss(
        tf.slice(s.student, [0, 2], [-1, k]) as tf.Tensor2D,
        below > 0 ? (tf.slice(s.student, [0, k + 2], [-1, below]) as tf.Tensor2D) : undefined,
      ),
    );
  },
};

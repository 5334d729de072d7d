/**
 * Losses that learn from the teacher's top-K unobserved items: ranking distillation (Tang & Wang,
 * KDD 2018: the top K as extra positives, weighted by rank) and RRD's listwise ranking
 * distillation (Kang et al., CIKM 2020: the top-K order under Plackett–Luce). With a `pool`
 * larger than K, each round draws its K items afresh from the teacher's top `pool` (as RRD
 * samples its "interesting" items), so successive rounds teach different parts of the ranking.
 * @module
 */
import { column, integerInRange, type KdrecError, kdrecError, positiveNumber, type Random } from "@kdrec/core";
import {
  type ClosedFormLoss,
  complement,
  lossTerm,
  plackettLuceGradient,
  plackettLuceLoss,
  rankingDistillation,
  rankingDistillationGradient,
  rankWeights,
  withClosedForm,
} from "@kdrec/losses";
import type { TeacherTargets } from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { topOf, uniformItems } from "./candidates.js";
import type { CatalogueDraw, DistillationLossEntry, LossContext, LossPlan } from "./loss_table.js";
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
 * Per user, `k` of the teacher's top `pool` items, drawn without replacement with probability
 * ∝ exp(−rank / k) (Gumbel top-k) and written in the teacher's order.
 * @category Losses
 */
export const drawFromTeacherTop = (targets: TeacherTargets, k: number, pool: number, rng: Random): TeacherTargets => {
  const users = targets.items.length / targets.k;
  const items = new Int32Array(users * k);
  const scores = new Float32Array(users * k);
  const keys = new Float64Array(pool);
  const order = Array.from({ length: pool }, (_, j) => j);
  for (let user = 0; user < users; user++) {
    for (let j = 0; j < pool; j++) keys[j] = -j / k - Math.log(-Math.log(1 - rng.float()));
    order.sort((a, b) => keys[b]! - keys[a]!);
    const chosen = order.slice(0, k).sort((a, b) => a - b);
    for (let j = 0; j < k; j++) {
      items[user * k + j] = targets.items[user * targets.k + chosen[j]!]!;
      scores[user * k + j] = targets.scores[user * targets.k + chosen[j]!]!;
    }
    for (let j = 0; j < pool; j++) order[j] = j;
  }
  return { k, items, scores };
};

/**
 * Lists [positive, negative, `k` of the teacher's top items in its order, `below` uniform items],
 * trained by (1 − α)·BPR + α·`name` (computed by `distillation`). The `k` items are the teacher's
 * top `k`, or, with `pool` > `k`, drawn afresh each round from its top `pool`. Fails without the
 * teacher's top `pool`.
 * @category Losses
 */
export const teacherTopPlan = (
  context: LossContext,
  { k, below, what, pool = k }: { k: number; below: number; what: string; pool?: number },
  name: string,
  distillation: (s: ScoredLists) => tf.Scalar,
  closedForm?: ClosedFormLoss,
): E.Either<KdrecError, LossPlan> => {
  const term = lossTerm(name, distillation, context.alpha);
  const sample = uniformItems(context.numItems);
  return E.map((targets: TeacherTargets): LossPlan => {
    let current = targets;
    return {
      width: k + below + 2,
      lists: rowLists(k + below + 2, (user, out, offset, rng) => {
        out.set(topOf(current, user, k), offset);
        sample(user, out, offset + k, offset + k + below, rng);
      }),
      terms: [
        bprTerm(complement(context.alpha)),
        closedForm === undefined ? term : withClosedForm(term, () => closedForm),
      ],
      ...(pool > k
        ? {
            beforeRound: (_round: number, rng: Random) => {
              current = drawFromTeacherTop(targets, k, pool, rng);
            },
          }
        : {}),
    };
  })(teacherTargets(context, pool, what, pool > k ? "strategy.loss.pool" : "strategy.loss.topK"));
};

const poolText = (loss: { readonly topK: number; readonly pool?: number }): string =>
  loss.pool !== undefined && loss.pool > loss.topK ? ` drawn per round from the top ${loss.pool}` : "";

const poolDraws = (loss: { readonly topK: number; readonly pool?: number }): CatalogueDraw[] => [
  { field: "loss.topK", size: loss.topK, what: "topK" },
  ...(loss.pool === undefined ? [] : [{ field: "loss.pool", size: loss.pool, what: "pool" }]),
];

const checkPool = (loss: { readonly topK: number; readonly pool?: number }): E.Either<KdrecError, void> =>
  loss.pool !== undefined && loss.pool < loss.topK
    ? E.left(kdrecError("INVALID_CONFIG", `pool ${loss.pool} must be at least topK ${loss.topK}`, "loss.pool"))
    : E.right(undefined);

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
  /** Each round draws its `topK` from the teacher's top `pool`; default `topK` (always the top K). */
  readonly pool?: number;
}

/**
 * The ranking-distillation entry of the loss table.
 * @category Losses
 */
export const rankingLoss: DistillationLossEntry<RankingLoss> = {
  kind: "ranking",
  termName: "ranking-distillation",
  options: { topK: integerInRange(1), lambda: positiveNumber, pool: integerInRange(1) },
  defaults: { kind: "ranking", topK: 10, lambda: 5 },
  describe: (loss) => `top ${loss.topK}${poolText(loss)}, λ=${loss.lambda}`,
  teacherTopK: (loss) => Math.max(loss.topK, loss.pool ?? 0),
  draws: (loss) => poolDraws(loss),
  check: checkPool,
  plan: (loss, context) => {
    const k = loss.topK;
    const weights = rankWeights(k, loss.lambda);
    const plan = { k, below: 0, what: "ranking distillation", pool: Math.max(k, loss.pool ?? k) };
    return teacherTopPlan(
      context,
      plan,
      "ranking-distillation",
      (s) =>
        rankingDistillation(
          tf.slice(s.student, [0, 2], [-1, k]) as tf.Tensor2D,
          tf.tensor1d(weights),
          column(s.student, 1),
        ),
      rankingDistillationGradient(2, weights, 1),
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
  /** Each round draws its `topK` from the teacher's top `pool`; default `topK` (always the top K). */
  readonly pool?: number;
}

/**
 * The listwise-ranking entry of the loss table.
 * @category Losses
 */
export const listwiseRankingLoss: DistillationLossEntry<ListwiseRankingLoss> = {
  kind: "listwise-ranking",
  termName: "plackett-luce",
  options: { topK: integerInRange(1), below: integerInRange(0), pool: integerInRange(1) },
  defaults: { kind: "listwise-ranking", topK: 10, below: 50 },
  describe: (loss) => `top ${loss.topK}${poolText(loss)}, ${loss.below} items below`,
  teacherTopK: (loss) => Math.max(loss.topK, loss.pool ?? 0),
  draws: (loss) => [...poolDraws(loss), { field: "loss.below", size: loss.below, what: "below" }],
  check: checkPool,
  plan: (loss, context) => {
    const { topK: k, below } = loss;
    const plan = { k, below, what: "listwise ranking distillation", pool: Math.max(k, loss.pool ?? k) };
    return teacherTopPlan(
      context,
      plan,
      "plackett-luce",
      (s) =>
        plackettLuceLoss(
          tf.slice(s.student, [0, 2], [-1, k]) as tf.Tensor2D,
          below > 0 ? (tf.slice(s.student, [0, k + 2], [-1, below]) as tf.Tensor2D) : undefined,
        ),
      plackettLuceGradient(2, k, below),
    );
  },
};

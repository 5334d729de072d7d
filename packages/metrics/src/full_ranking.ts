/**
 * Full-ranking evaluation, batched on the engine: every evaluated user is scored against every
 * item; the user's excluded items (training items, and for test the validation item) are masked
 * out; each held-out item's rank is the count of other candidates scoring at least as high.
 *
 * Why counts and not `tf.topk`: top-k breaks ties by index, which would let a constant scorer
 * look good; counting `>=` charges every tie against the held-out item, as the protocol says.
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import { type Interactions, itemsOf, numItems, numUsers, type UserItems, userItemSets } from "@kdrec/data";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { metricNames, metricsFromRanks } from "./ranking_metrics.js";
import { type MetricSummary, summarise } from "./statistics.js";

/**
 * Scores a batch of users against every item: a `[users.length, numItems]` tensor. The
 * evaluation disposes it.
 * @category Ranking
 */
export type BatchScorer = (users: Int32Array) => tf.Tensor2D;

/**
 * Per-user metric values (aligned with `users`) and their summaries.
 * @category Ranking
 */
export interface RankingReport {
  /** The evaluated users (those with at least one held-out item), in index order. */
  readonly users: Int32Array;
  readonly perUser: Readonly<Record<string, Float64Array>>;
  readonly summary: Readonly<Record<string, MetricSummary>>;
}

/**
 * Options of {@link evaluateFullRanking}.
 * @category Ranking
 */
export interface FullRankingOptions {
  /** The held-out interactions (validation or test). */
  readonly heldOut: Interactions;
  /** Interactions whose items are not candidates for their user (training; plus validation for test). */
  readonly exclude: ReadonlyArray<Interactions>;
  /** Cut-offs; default [10, 20]. */
  readonly ks?: ReadonlyArray<number>;
  /** Users scored per batch; default 256. */
  readonly batchSize?: number;
  /**
   * How ties with the held-out item count: `pessimistic` (kdrec's protocol, default) ranks it
   * below every candidate scoring the same; `optimistic` above them (counting only strictly higher
   * scores, as some published code does — use it only to compare with such numbers).
   */
  readonly ties?: "pessimistic" | "optimistic";
}

// NaN scores must not rank well: they become the lowest finite score (below every real score,
// tied with each other, so the ties count against a NaN target).
const LOWEST = -3.4e38;

/**
 * Ranks of the held-out items of a batch, computed on the backend. `targets` is `[B, M]` padded
 * with -1; the result is `[B, M]` (padding positions hold garbage the caller ignores).
 */
const batchRanks = (
  scores: tf.Tensor2D,
  excluded: tf.Tensor2D,
  targets: tf.Tensor2D,
  optimistic: boolean,
): tf.Tensor2D =>
  tf.tidy(() => {
    const clean = tf.where(tf.isNaN(scores), tf.fill(scores.shape, LOWEST), scores);
    const masked = tf.where(tf.cast(excluded, "bool"), tf.fill(scores.shape, Number.NEGATIVE_INFINITY), clean);
    const targetScores = tf.gather(masked, tf.maximum(targets, tf.scalar(0, "int32")), 1, 1) as tf.Tensor2D; // [B, M]
    const columns: tf.Tensor1D[] = [];
    for (let m = 0; m < targets.shape[1]; m++) {
      const threshold = tf.slice(targetScores, [0, m], [-1, 1]);
      // Pessimistic: candidates at or above the target, minus the target itself.
      const counts = tf.sum(tf.cast((optimistic ? tf.greater : tf.greaterEqual)(masked, threshold), "int32"), 1);
      columns.push((optimistic ? counts : tf.sub(counts, 1)) as tf.Tensor1D);
    }
    return tf.stack(columns, 1) as tf.Tensor2D;
  });

/** Users with at least one held-out item, and their held-out items (CSR by user). */
const heldOutByUser = (heldOut: Interactions): { users: Int32Array; items: UserItems } => {
  const items = userItemSets(heldOut);
  const users = Int32Array.from({ length: numUsers(heldOut) }, (_, u) => u).filter((u) => itemsOf(items, u).length > 0);
  return { users, items };
};

/**
 * Evaluates a scorer by full ranking and returns per-user values and summaries of HR@K, NDCG@K,
 * Recall@K, Precision@K and MRR. Fails with `INVALID_ARGUMENT` when the scorer's shape is wrong or
 * the interaction sets do not share users and items.
 * @example
 * ```ts
 * const report = await evaluateFullRanking(scoreUsers, { heldOut: split.test, exclude: [split.train, split.valid] });
 * if (E.isRight(report)) console.log(report.right.summary["ndcg@10"]?.mean);
 * ```
 * @category Ranking
 */
export const evaluateFullRanking = async (
  scorer: BatchScorer,
  options: FullRankingOptions,
): Promise<E.Either<KdrecError, RankingReport>> => {
  const ks = options.ks ?? [10, 20];
  const batchSize = options.batchSize ?? 256;
  const items = numItems(options.heldOut);
  if (options.exclude.some((x) => numItems(x) !== items || numUsers(x) !== numUsers(options.heldOut))) {
    return E.left(
      kdrecError(
        "INVALID_ARGUMENT",
        "held-out and excluded interactions must share users and items (split one dataset)",
        "evaluateFullRanking",
      ),
    );
  }
  if (!(ks.every((k) => Number.isInteger(k) && k > 0 && k <= items) && Number.isInteger(batchSize) && batchSize > 0)) {
    return E.left(
      kdrecError(
        "INVALID_ARGUMENT",
        `cut-offs must be integers in [1, ${items}] and batchSize a positive integer`,
        "evaluateFullRanking",
      ),
    );
  }
  const { users, items: heldOut } = heldOutByUser(options.heldOut);
  const excludedSets = options.exclude.map(userItemSets);
  const names = metricNames(ks);
  const perUser = Object.fromEntries(names.map((name) => [name, new Float64Array(users.length)]));

  for (let start = 0; start < users.length; start += batchSize) {
    const batch = users.subarray(start, start + batchSize);
    const width = Math.max(...Array.from(batch, (u) => itemsOf(heldOut, u).length));
    const mask = new Uint8Array(batch.length * items);
    const targets = new Int32Array(batch.length * width).fill(-1);
    batch.forEach((u, b) => {
      for (const set of excludedSets) for (const i of itemsOf(set, u)) mask[b * items + i] = 1;
      itemsOf(heldOut, u).forEach((i, m) => {
        mask[b * items + i] = 0; // a held-out item is always a candidate, even if it was also seen
        targets[b * width + m] = i;
      });
    });
    const scores = scorer(batch);
    if (scores.shape.length !== 2 || scores.shape[0] !== batch.length || scores.shape[1] !== items) {
      const shape = scores.shape.join("x");
      scores.dispose();
      return E.left(
        kdrecError(
          "INVALID_ARGUMENT",
          `the scorer returned a ${shape} tensor; expected ${batch.length}x${items}`,
          "evaluateFullRanking",
        ),
      );
    }
    const ranks = tf.tidy(() =>
      batchRanks(
        scores,
        tf.tensor2d(mask, [batch.length, items], "int32"),
        tf.tensor2d(targets, [batch.length, width], "int32"),
        options.ties === "optimistic",
      ),
    );
    scores.dispose();
    const values = await ranks.data();
    ranks.dispose();
    batch.forEach((u, b) => {
      const count = itemsOf(heldOut, u).length;
      const metrics = metricsFromRanks(values.subarray(b * width, b * width + count), ks);
      for (const name of names) perUser[name]![start + b] = metrics[name]!;
    });
  }
  return E.right({
    users,
    perUser,
    summary: Object.fromEntries(names.map((name) => [name, summarise(perUser[name]!)])),
  });
};

/**
 * The plain reference of {@link evaluateFullRanking}: loops over a dense `[numUsers, numItems]`
 * score matrix (row-major), for tests to compare the batched version against.
 * @category Ranking
 */
export const referenceFullRanking = (scores: Float32Array, options: FullRankingOptions): RankingReport => {
  const ks = options.ks ?? [10, 20];
  const items = numItems(options.heldOut);
  const { users, items: heldOut } = heldOutByUser(options.heldOut);
  const excludedSets = options.exclude.map(userItemSets);
  const names = metricNames(ks);
  const perUser = Object.fromEntries(names.map((name) => [name, new Float64Array(users.length)]));
  const score = (u: number, i: number) => {
    const s = scores[u * items + i]!;
    return Number.isNaN(s) ? LOWEST : s;
  };
  users.forEach((u, position) => {
    const targets = itemsOf(heldOut, u);
    const excluded = new Set<number>();
    for (const set of excludedSets) for (const i of itemsOf(set, u)) excluded.add(i);
    for (const t of targets) excluded.delete(t);
    const ranks = Array.from(targets, (t) => {
      let rank = 0;
      for (let i = 0; i < items; i++) {
        if (i === t || excluded.has(i)) continue;
        if (options.ties === "optimistic" ? score(u, i) > score(u, t) : score(u, i) >= score(u, t)) rank++;
      }
      return rank;
    });
    const metrics = metricsFromRanks(ranks, ks);
    for (const name of names) perUser[name]![position] = metrics[name]!;
  });
  return { users, perUser, summary: Object.fromEntries(names.map((name) => [name, summarise(perUser[name]!)])) };
};

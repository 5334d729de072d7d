/**
 * Full-ranking evaluation, batched: every evaluated user is scored against every item (on the
 * engine, by the scorer); the user's excluded items (training items, and for test the validation
 * item) are not candidates; each held-out item's rank is the count of other candidates scoring at
 * least as high.
 *
 * Why counts and not `tf.topk`: top-k breaks ties by index, which would let a constant scorer
 * look good; counting `>=` charges every tie against the held-out item, as the protocol says.
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import { type Interactions, itemsOf, numItems, numUsers, type UserItems, userItemSets } from "@kdrec/data";
import type * as tf from "@tensorflow/tfjs-core";
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
  /**
   * The items every user's held-out items are ranked among (ascending, the held-out items among
   * them); every item when absent. The cold-items protocol ranks the held-out items only.
   */
  readonly candidates?: Int32Array;
}

// NaN scores must not rank well: they become the lowest finite score (below every real score,
// tied with each other, so the ties count against a NaN target).
const LOWEST = -3.4e38;

/**
 * The rank of target `t` in a user's score row: candidates (items not excluded, the target left
 * out) scoring at least as high (`pessimistic`) or strictly higher (`optimistic`), NaN counted as
 * {@link LOWEST}. One pass over the row counts every item; the user's excluded items that would
 * count are then taken back (they are few), so no mask is built.
 */
const rankInRow = (row: Float32Array, t: number, excluded: Int32Array, excludedCount: number, optimistic: boolean) => {
  const raw = row[t]!;
  const target = Number.isNaN(raw) ? LOWEST : raw;
  // A NaN score (LOWEST) reaches the target only when the target is that low: then count by the
  // slow rule; otherwise NaN compares false, as it should.
  const slow = target <= LOWEST;
  const counts = (s: number) => {
    const v = Number.isNaN(s) ? LOWEST : s;
    return optimistic ? v > target : v >= target;
  };
  let rank = 0;
  if (slow) {
    for (let i = 0; i < row.length; i++) if (counts(row[i]!)) rank++;
  } else if (optimistic) {
    // Branch-free (`+(a > b)`): about half the comparisons go each way, and a branch per item
    // mispredicted often enough to make this loop four times slower.
    for (let i = 0; i < row.length; i++) rank += +(row[i]! > target);
  } else {
    for (let i = 0; i < row.length; i++) rank += +(row[i]! >= target);
  }
  for (let e = 0; e < excludedCount; e++) if (counts(row[excluded[e]!]!)) rank--;
  // The target counts itself under `>=`.
  return optimistic ? rank : rank - 1;
};

/**
 * Each target's rank among the candidates only (excluded items and the target left out), by the
 * same counting rule: the candidates' scores are gathered into a row of their own and ranked
 * there. `position` maps each candidate item to its place in that row (made once per evaluation).
 */
const rankAmongCandidates = (
  row: Float32Array,
  targets: Int32Array,
  position: ReadonlyMap<number, number>,
  excluded: Int32Array,
  optimistic: boolean,
): number[] => {
  const compact = new Float32Array(position.size);
  for (const [item, k] of position) compact[k] = row[item]!;
  const excludedHere = Int32Array.from(
    [...excluded].flatMap((item) => (position.has(item) ? [position.get(item)!] : [])),
  );
  return Array.from(targets, (t) => {
    const at = position.get(t);
    if (at === undefined) throw new RangeError(`held-out item ${t} is not a candidate`);
    return rankInRow(compact, at, excludedHere, excludedHere.length, optimistic);
  });
};

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
  // Where each candidate sits in a row of the candidates alone (the same for every user).
  const candidatePositions =
    options.candidates === undefined ? undefined : new Map(Array.from(options.candidates, (item, k) => [item, k]));

  // A user's excluded items, each once (an item may be in several sets), held-out items left in.
  const marks = new Uint8Array(items);
  const excluded = new Int32Array(items);
  const excludedOf = (u: number, targets: Int32Array): number => {
    for (const t of targets) marks[t] = 1;
    let count = 0;
    for (const set of excludedSets)
      for (const i of itemsOf(set, u))
        if (marks[i] === 0) {
          marks[i] = 1;
          excluded[count++] = i;
        }
    for (const t of targets) marks[t] = 0;
    for (let e = 0; e < count; e++) marks[excluded[e]!] = 0;
    return count;
  };
  for (let start = 0; start < users.length; start += batchSize) {
    const batch = users.subarray(start, start + batchSize);
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
    // Read back and ranked here in one pass per target: on the engine, the same took seven
    // element-wise passes over the batch (NaN cleaning, masking, comparing, summing).
    const values = (await scores.data()) as Float32Array;
    scores.dispose();
    batch.forEach((u, b) => {
      const targets = itemsOf(heldOut, u);
      const count = excludedOf(u, targets);
      const full = values.subarray(b * items, (b + 1) * items);
      const ranks =
        candidatePositions === undefined
          ? Array.from(targets, (t) => rankInRow(full, t, excluded, count, options.ties === "optimistic"))
          : rankAmongCandidates(
              full,
              targets,
              candidatePositions,
              excluded.subarray(0, count),
              options.ties === "optimistic",
            );
      const metrics = metricsFromRanks(ranks, ks);
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

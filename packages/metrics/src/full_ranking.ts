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
import { hasEngineKernel, heldOutRanks, type KdrecError, KdrecHeldOutRanks, kdrecError } from "@kdrec/core";
import { type Interactions, itemsOf, numItems, numUsers, type UserItems, userItemSets } from "@kdrec/data";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { metricNames, metricsFromRanks, writeMetrics } from "./ranking_metrics.js";
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
  /**
   * Where the ranks are counted: `engine` (on the engine, only the ranks read back: by kdrec's
   * kernel {@link KdrecHeldOutRanks} in one pass where the backend has it — native TensorFlow with
   * `@kdrec/native-kernels` built — else compared and summed by TF.js ops), `read-back` (the
   * batch's scores read back and counted here — faster than TF.js ops for small catalogues and on
   * the `cpu` backend), or `auto` (default: the kernel where registered; else `engine` on a
   * non-`cpu` backend when a batch holds at least {@link ENGINE_RANKING_SCORES} scores). All give
   * the same ranks. Ranking among `candidates` always reads back.
   */
  readonly ranking?: "auto" | "engine" | "read-back";
}

/**
 * Scores per batch from which `ranking: "auto"` counts on the engine: measured on the native
 * backend, reading back was faster at 256 × 1,682 (22 against 30 ms for ML-100K) and slower at
 * 256 × 17,000 (0.9 against 0.3 s for 10k users).
 * @category Ranking
 */
export const ENGINE_RANKING_SCORES = 2 ** 21;

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

/** A batch's held-out items, and each row's excluded items, flattened for the engine. */
interface BatchTargets {
  /** Row in the batch and item of each target, row by row: row `b`'s are `targetStart[b] … targetStart[b + 1])`. */
  readonly rows: Int32Array;
  readonly items: Int32Array;
  readonly targetStart: Int32Array;
  /** Row `b`'s excluded items are `excluded[excludedStart[b] … excludedStart[b + 1])`. */
  readonly excluded: Int32Array;
  readonly excludedStart: Int32Array;
}

/** A batch's targets and excluded items (`excludedOf` fills `scratch` with one user's). */
const batchTargets = (
  batch: Int32Array,
  heldOut: UserItems,
  excludedOf: (u: number, targets: Int32Array) => number,
  scratch: Int32Array,
): BatchTargets => {
  const targetStart = new Int32Array(batch.length + 1);
  batch.forEach((u, b) => {
    targetStart[b + 1] = targetStart[b]! + itemsOf(heldOut, u).length;
  });
  const rows = new Int32Array(targetStart[batch.length]!);
  const items = new Int32Array(rows.length);
  let excluded = new Int32Array(1024);
  const excludedStart = new Int32Array(batch.length + 1);
  batch.forEach((u, b) => {
    const targets = itemsOf(heldOut, u);
    // Element by element: a user's few items do not pay for fill / set calls.
    for (let j = 0; j < targets.length; j++) {
      rows[targetStart[b]! + j] = b;
      items[targetStart[b]! + j] = targets[j]!;
    }
    const count = excludedOf(u, targets);
    const at = excludedStart[b]!;
    if (at + count > excluded.length) {
      const grown = new Int32Array(Math.max(2 * excluded.length, at + count));
      grown.set(excluded.subarray(0, at));
      excluded = grown;
    }
    for (let e = 0; e < count; e++) excluded[at + e] = scratch[e]!;
    excludedStart[b + 1] = at + count;
  });
  return { rows, items, targetStart, excluded: excluded.slice(0, excludedStart[batch.length]!), excludedStart };
};

/**
 * Each target's rank, counted on the engine: its row compared with its score and summed there, so
 * only the counts, the targets' scores and the excluded items' scores are read back, not the
 * `[B, items]` block (reading it back cost more than the product). The excluded items that counted
 * are taken back here. A target whose score is NaN or at most {@link LOWEST} (where NaN, which
 * compares false on the engine, would count) is ranked from its row read back, by `rankInRow`.
 */
const ranksOnEngine = async (
  scores: tf.Tensor2D,
  targets: BatchTargets,
  optimistic: boolean,
  chunk: number,
): Promise<Int32Array> => {
  const [rows, items] = scores.shape;
  const count = targets.rows.length;
  const excludedRows = new Int32Array(targets.excluded.length);
  for (let b = 0; b < rows; b++) excludedRows.fill(b, targets.excludedStart[b]!, targets.excludedStart[b + 1]!);
  const flatIndex = (rowIds: Int32Array, itemIds: Int32Array) =>
    tf.tensor1d(
      Int32Array.from(rowIds, (b, j) => b * items + itemIds[j]!),
      "int32",
    );
  const [targetScores, excludedScores] = tf.tidy(() => {
    const flat = tf.reshape(scores, [-1]);
    return [
      tf.gather(flat, flatIndex(targets.rows, targets.items)),
      tf.gather(flat, flatIndex(excludedRows, targets.excluded)),
    ];
  });
  // One target per row, in row order (leave-last-out): the block itself; otherwise the targets'
  // rows gathered, `chunk` at a time.
  const inRowOrder = count === rows && targets.rows.every((b, j) => b === j);
  const countType = items < 2 ** 24 ? "float32" : "int32";
  const counted = new Int32Array(count);
  for (let start = 0; start < count; start += inRowOrder ? count : chunk) {
    const end = inRowOrder ? count : Math.min(count, start + chunk);
    const part = tf.tidy(() => {
      const block = inRowOrder ? scores : tf.gather(scores, tf.tensor1d(targets.rows.subarray(start, end), "int32"));
      const bar = tf.reshape(tf.slice(targetScores, [start], [end - start]), [end - start, 1]);
      // Float sums count exactly below 2^24 items and are faster than int32's on the engine.
      const counts = tf.cast(optimistic ? tf.greater(block, bar) : tf.greaterEqual(block, bar), countType);
      return tf.sum(counts, 1);
    });
    counted.set(await part.data(), start);
    part.dispose();
  }
  const targetValues = (await targetScores.data()) as Float32Array;
  const excludedValues = (await excludedScores.data()) as Float32Array;
  tf.dispose([targetScores, excludedScores]);
  const ranks = new Int32Array(count);
  for (let j = 0; j < count; j++) {
    const b = targets.rows[j]!;
    const [from, to] = [targets.excludedStart[b]!, targets.excludedStart[b + 1]!];
    const target = targetValues[j]!;
    if (Number.isNaN(target) || target <= LOWEST) {
      const row = tf.tidy(() => tf.reshape(tf.slice(scores, [b, 0], [1, items]), [-1]));
      const values = (await row.data()) as Float32Array;
      row.dispose();
      ranks[j] = rankInRow(values, targets.items[j]!, targets.excluded.subarray(from), to - from, optimistic);
      continue;
    }
    let rank = counted[j]!;
    // NaN compares false, as on the engine: the target is above LOWEST here.
    for (let e = from; e < to; e++) if (optimistic ? excludedValues[e]! > target : excludedValues[e]! >= target) rank--;
    // The target counts itself under `>=`.
    ranks[j] = optimistic ? rank : rank - 1;
  }
  return ranks;
};

/**
 * Each target's rank by the engine's {@link KdrecHeldOutRanks} kernel: one pass over each target's
 * row, every counting rule (ties, NaN, excluded items) inside; only the ranks are read back.
 */
const ranksByKernel = async (scores: tf.Tensor2D, targets: BatchTargets, optimistic: boolean): Promise<Int32Array> => {
  const ranks = tf.tidy(() =>
    heldOutRanks(
      {
        scores,
        targetRows: tf.tensor1d(targets.rows, "int32"),
        targetItems: tf.tensor1d(targets.items, "int32"),
        excludedOffsets: tf.tensor1d(targets.excludedStart, "int32"),
        excludedItems: tf.tensor1d(targets.excluded, "int32"),
      },
      optimistic,
    ),
  );
  try {
    return (await ranks.data()) as Int32Array;
  } finally {
    ranks.dispose();
  }
};

/** Users with at least one held-out item, and their held-out items (CSR by user). */
const heldOutByUser = (heldOut: Interactions): { users: Int32Array; items: UserItems } => {
  const items = userItemSets(heldOut);
  const users: number[] = [];
  for (let u = 0; u < numUsers(heldOut); u++) if (items.offsets[u + 1]! > items.offsets[u]!) users.push(u);
  return { users: Int32Array.from(users), items };
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
  const columns = names.map(() => new Float64Array(users.length));
  const perUser = Object.fromEntries(names.map((name, c) => [name, columns[c]!]));
  // Where each candidate sits in a row of the candidates alone (the same for every user).
  const candidatePositions =
    options.candidates === undefined ? undefined : new Map(Array.from(options.candidates, (item, k) => [item, k]));

  // A user's excluded items, each once (an item may be in several sets), held-out items left in.
  const marks = new Uint8Array(items);
  const excluded = new Int32Array(items);
  // Indexed loops over the CSR lists: no subarray per user and set.
  const excludedOf = (u: number, targets: Int32Array): number => {
    for (let j = 0; j < targets.length; j++) marks[targets[j]!] = 1;
    let count = 0;
    for (const set of excludedSets)
      for (let k = set.offsets[u]!; k < set.offsets[u + 1]!; k++) {
        const i = set.items[k]!;
        if (marks[i] === 0) {
          marks[i] = 1;
          excluded[count++] = i;
        }
      }
    for (let j = 0; j < targets.length; j++) marks[targets[j]!] = 0;
    for (let e = 0; e < count; e++) marks[excluded[e]!] = 0;
    return count;
  };
  const optimistic = options.ties === "optimistic";
  const ranking = options.ranking ?? "auto";
  const byKernel = candidatePositions === undefined && ranking !== "read-back" && hasEngineKernel(KdrecHeldOutRanks);
  const onEngine =
    candidatePositions === undefined &&
    (ranking === "engine" ||
      (ranking === "auto" &&
        tf.getBackend() !== "cpu" &&
        Math.min(batchSize, users.length) * items >= ENGINE_RANKING_SCORES));
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
    try {
      if (byKernel || onEngine) {
        const targets = batchTargets(batch, heldOut, excludedOf, excluded);
        const ranks = byKernel
          ? await ranksByKernel(scores, targets, optimistic)
          : await ranksOnEngine(scores, targets, optimistic, batchSize);
        for (let b = 0; b < batch.length; b++)
          writeMetrics(ranks, targets.targetStart[b]!, targets.targetStart[b + 1]!, ks, columns, start + b);
      } else {
        // The rows read back and ranked here, in one pass per target.
        const values = (await scores.data()) as Float32Array;
        batch.forEach((u, b) => {
          const targets = itemsOf(heldOut, u);
          const count = excludedOf(u, targets);
          const full = values.subarray(b * items, (b + 1) * items);
          const ranks =
            candidatePositions === undefined
              ? Array.from(targets, (t) => rankInRow(full, t, excluded, count, optimistic))
              : rankAmongCandidates(full, targets, candidatePositions, excluded.subarray(0, count), optimistic);
          writeMetrics(ranks, 0, ranks.length, ks, columns, start + b);
        });
      }
    } finally {
      scores.dispose();
    }
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

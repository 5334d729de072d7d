/**
 * Ranking metrics from the ranks of held-out items (kdrec's protocol): the rank of an item is the
 * number of other candidates scoring at least as high, so ties count against it and a constant
 * scorer does worst. Shared by the batched evaluation and the reference implementation.
 * @module
 */

/**
 * The names of the per-user metrics at cut-off K, plus MRR.
 * @category Ranking
 */
export const metricNames = (ks: ReadonlyArray<number>): string[] => [
  ...ks.flatMap((k) => [`hr@${k}`, `ndcg@${k}`, `recall@${k}`, `precision@${k}`]),
  "mrr",
];

/**
 * Writes one user's metric values, in {@link metricNames}' order, into `columns` at `at`, from the
 * ranks `ranks[from … to)` of the user's held-out items (what {@link metricsFromRanks} returns, with
 * no object per user: full-ranking evaluation writes every user's values this way).
 * @example
 * ```ts
 * const columns = metricNames([10]).map(() => new Float64Array(1));
 * writeMetrics([0, 12], 0, 2, [10], columns, 0); // columns[1][0]: NDCG@10 = 1 / (1 + 1 / log2(3))
 * ```
 * @category Ranking
 */
export const writeMetrics = (
  ranks: ArrayLike<number>,
  from: number,
  to: number,
  ks: ReadonlyArray<number>,
  columns: ReadonlyArray<Float64Array>,
  at: number,
): void => {
  const n = to - from;
  let best = Number.POSITIVE_INFINITY;
  for (let i = from; i < to; i++) best = Math.min(best, ranks[i]!);
  ks.forEach((k, c) => {
    let hits = 0;
    let dcg = 0;
    for (let i = from; i < to; i++) {
      if (ranks[i]! < k) {
        hits++;
        dcg += 1 / Math.log2(ranks[i]! + 2);
      }
    }
    let ideal = 0;
    for (let r = 0; r < Math.min(n, k); r++) ideal += 1 / Math.log2(r + 2);
    columns[4 * c]![at] = hits > 0 ? 1 : 0;
    columns[4 * c + 1]![at] = ideal > 0 ? dcg / ideal : 0;
    columns[4 * c + 2]![at] = n > 0 ? hits / n : 0;
    columns[4 * c + 3]![at] = hits / k;
  });
  columns[4 * ks.length]![at] = Number.isFinite(best) ? 1 / (1 + best) : 0;
};

/**
 * Per-user metric values from the ranks of the user's held-out items:
 * HR@K (any held-out item ranked < K), NDCG@K (binary relevance, ideal DCG over min(|test|, K)),
 * Recall@K, Precision@K and MRR (1 / (1 + best rank)). With one held-out item, HR@K = Recall@K
 * and NDCG@K = 1/log2(rank + 2) when rank < K.
 * @category Ranking
 */
export const metricsFromRanks = (ranks: ArrayLike<number>, ks: ReadonlyArray<number>): Record<string, number> => {
  const names = metricNames(ks);
  const columns = names.map(() => new Float64Array(1));
  writeMetrics(ranks, 0, ranks.length, ks, columns, 0);
  return Object.fromEntries(names.map((name, c) => [name, columns[c]![0]!]));
};

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
 * Per-user metric values from the ranks of the user's held-out items:
 * HR@K (any held-out item ranked < K), NDCG@K (binary relevance, ideal DCG over min(|test|, K)),
 * Recall@K, Precision@K and MRR (1 / (1 + best rank)). With one held-out item, HR@K = Recall@K
 * and NDCG@K = 1/log2(rank + 2) when rank < K.
 * @category Ranking
 */
export const metricsFromRanks = (ranks: ArrayLike<number>, ks: ReadonlyArray<number>): Record<string, number> => {
  const out: Record<string, number> = {};
  const n = ranks.length;
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) best = Math.min(best, ranks[i]!);
  for (const k of ks) {
    let hits = 0;
    let dcg = 0;
    for (let i = 0; i < n; i++) {
      if (ranks[i]! < k) {
        hits++;
        dcg += 1 / Math.log2(ranks[i]! + 2);
      }
    }
    let ideal = 0;
    for (let r = 0; r < Math.min(n, k); r++) ideal += 1 / Math.log2(r + 2);
    out[`hr@${k}`] = hits > 0 ? 1 : 0;
    out[`ndcg@${k}`] = ideal > 0 ? dcg / ideal : 0;
    out[`recall@${k}`] = n > 0 ? hits / n : 0;
    out[`precision@${k}`] = hits / k;
  }
  out.mrr = Number.isFinite(best) ? 1 / (1 + best) : 0;
  return out;
};

/**
 * Popularity bias: how a model does on the long tail, and how popular what it recommends is — what
 * debiased distillation (UnKD) is judged by beside overall NDCG.
 * @module
 */
import { type Interactions, itemsOf, numItems, userItemSets } from "@kdrec/data";
import type { RankingReport } from "./full_ranking.js";

/**
 * A model's quality on the long tail and the popularity of its recommendations.
 * @category Ranking
 */
export interface PopularityReport {
  /** Mean NDCG@10 over the users whose held-out items are all in the long tail. */
  readonly "tail_ndcg@10": number;
  /** How many users that mean is over. */
  readonly tail_users: number;
  /** Mean training interactions of the recommended items (over every user's top K). */
  readonly mean_recommended_popularity: number;
  /** Share of recommended items in the long tail. */
  readonly recommended_tail_share: number;
}

/**
 * The items outside the head: the head is the most popular `headShare` of the catalogue by training
 * interactions (default 20%, ties by index); returns 1 for tail items.
 * @category Ranking
 */
export const longTailItems = (counts: ArrayLike<number>, headShare = 0.2): Uint8Array => {
  const n = counts.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => counts[b]! - counts[a]! || a - b);
  const tail = new Uint8Array(n).fill(1);
  for (let r = 0; r < Math.round(n * headShare); r++) tail[order[r]!] = 0;
  return tail;
};

/**
 * The popularity report of a model from its full-ranking report (which must hold `ndcg@10`) and
 * each user's top `k` recommendations (`topItems[u·k …]`, every user of the data, -1 for padding).
 * @example
 * ```ts
 * const bias = popularityReport(split.train, split.test, report, topItems, 10);
 * bias["tail_ndcg@10"]; bias.recommended_tail_share;
 * ```
 * @category Ranking
 */
export const popularityReport = (
  train: Interactions,
  heldOut: Interactions,
  report: RankingReport,
  topItems: Int32Array,
  k: number,
): PopularityReport => {
  const counts = new Int32Array(numItems(train));
  for (const item of train.items) counts[item]! += 1;
  const tail = longTailItems(counts);
  const held = userItemSets(heldOut);
  const ndcg = report.perUser["ndcg@10"];
  if (ndcg === undefined) throw new RangeError("popularityReport: the ranking report has no ndcg@10");
  let tailSum = 0;
  let tailUsers = 0;
  report.users.forEach((u, position) => {
    if (itemsOf(held, u).every((i) => tail[i] === 1)) {
      tailSum += ndcg[position]!;
      tailUsers += 1;
    }
  });
  if (topItems.length % k !== 0)
    throw new RangeError(`popularityReport: ${topItems.length} items is not a multiple of k = ${k}`);
  let recommended = 0;
  let popularity = 0;
  let inTail = 0;
  for (let p = 0; p < topItems.length; p++) {
    const item = topItems[p]!;
    if (item < 0) continue;
    recommended += 1;
    popularity += counts[item]!;
    inTail += tail[item]!;
  }
  return {
    "tail_ndcg@10": tailUsers === 0 ? 0 : tailSum / tailUsers,
    tail_users: tailUsers,
    mean_recommended_popularity: recommended === 0 ? 0 : popularity / recommended,
    recommended_tail_share: recommended === 0 ? 0 : inTail / recommended,
  };
};

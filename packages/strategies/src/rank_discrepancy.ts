/**
 * Rank-discrepancy-aware sampling for two-way distillation (Kweon, Kang and Yu, WWW 2021): each model
 * learns most from the items the other ranks much higher than it does. Per user and epoch, an
 * unobserved item i is drawn for a side with probability ∝ tanh(max(rank_self(i) − rank_other(i), 0)
 * / (0.1 · items)); half of a row's items come from each side's distribution.
 * @module
 */
import { type Random, readTidy } from "@kdrec/core";
import { hasItem, type Interactions, indexBatches, numItems, numUsers, userItemSets } from "@kdrec/data";
import type { ScoringModel } from "@kdrec/model-kit";

/** Ranks (0 = best) of a row of scores. */
const ranksOf = (scores: Float32Array, out: Int32Array, order: Int32Array): void => {
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => scores[b]! - scores[a]!);
  for (let r = 0; r < order.length; r++) out[order[r]!] = r;
};

/**
 * Builds this epoch's sampler from both models' current rankings. Users whose rankings agree
 * everywhere (no weight on either side) fall back to uniform draws.
 * @category Plans
 */
export const rankDiscrepancySampler = async (
  student: Pick<ScoringModel, "allItemScorer">,
  peer: Pick<ScoringModel, "allItemScorer">,
  train: Interactions,
): Promise<(user: number, rng: Random) => number> => {
  const users = numUsers(train);
  const items = numItems(train);
  const seen = userItemSets(train);
  const scale = 0.1 * items;
  // Cumulative weights per user: [student side | peer side], Float32 to halve the memory.
  const cumulative = [new Float32Array(users * items), new Float32Array(users * items)] as const;
  const scorers = [student.allItemScorer(), peer.allItemScorer()];
  const rankS = new Int32Array(items);
  const rankT = new Int32Array(items);
  const order = new Int32Array(items);
  for (const batch of indexBatches(users, 256)) {
    const s = readTidy(() => scorers[0]!.score(batch)) as Float32Array;
    const t = readTidy(() => scorers[1]!.score(batch)) as Float32Array;
    batch.forEach((u, b) => {
      ranksOf(s.subarray(b * items, (b + 1) * items), rankS, order);
      ranksOf(t.subarray(b * items, (b + 1) * items), rankT, order);
      let totalS = 0;
      let totalT = 0;
      for (let i = 0; i < items; i++) {
        if (!hasItem(seen, u, i)) {
          totalS += Math.tanh(Math.max(rankS[i]! - rankT[i]!, 0) / scale);
          totalT += Math.tanh(Math.max(rankT[i]! - rankS[i]!, 0) / scale);
        }
        cumulative[0][u * items + i] = totalS;
        cumulative[1][u * items + i] = totalT;
      }
    });
  }
  for (const scorer of scorers) scorer.dispose();
  return (user, rng) => {
    const table = rng.int(2) === 0 ? cumulative[0] : cumulative[1];
    const row = table.subarray(user * items, (user + 1) * items);
    const total = row[items - 1]!;
    if (!(total > 0)) return rng.int(items);
    const target = rng.float() * total;
    let lo = 0;
    let hi = items - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (row[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
};

/**
 * The contract between a model's arithmetic and the recommender around it: an item scorer works
 * in dense indices (a user row, or a history of item indices) and scores the whole catalogue; the
 * recommender maps original ids, leaves out seen items and picks the top K.
 * @module
 */

/**
 * A user's history: item indices in time order, with their times (seconds) when sessions should
 * be cut by time.
 * @category Scoring
 */
export interface History {
  readonly items: Int32Array;
  readonly times?: Float64Array;
}

/**
 * How much each item of a history weighed in the user vector: `weights[j]` belongs to
 * `history.items[j]` (zero for items the model did not read); the weights sum to 1. For each
 * item asked about, `reasons[r]` is the history position that raised its score most (its
 * attention weight times its pull towards the item).
 * @category Scoring
 */
export interface HistoryAttention {
  readonly weights: Float32Array;
  readonly reasons: Int32Array;
}

/**
 * A model's scores over the catalogue of `items` items, in dense indices: from a user's row (models
 * with per-user parameters) and/or from a history (inductive models such as the tower).
 * @category Scoring
 */
export interface ItemScorer {
  readonly items: number;
  /** Scores of every item for known user `user` (an index into the bundle's users). */
  readonly scoreUser?: (user: number) => Float32Array;
  /** Scores of every item for a history. */
  readonly scoreHistory?: (history: History) => Float32Array;
  /** The attention over a history, and which history item most raised each of `items` (models that pool a history by attention). */
  readonly explain?: (history: History, items?: Int32Array) => HistoryAttention;
  /** Frees what the scorer holds (tensors, for scorers that run on TF.js). */
  readonly dispose?: () => void;
}

/**
 * The `k` best items by `scores` that are not `excluded` (a set of indices, or a mask with 1 at
 * excluded indices), best first (ties: the lower index first). A small sorted buffer: k ≪ items.
 * `k` larger than what is left returns what is left.
 * @example
 * ```ts
 * topK(Float32Array.of(0.1, 0.9, 0.5), 2, new Set([1])); // { items: [2, 0], scores: [0.5, 0.1] }
 * ```
 * @category Scoring
 */
export const topK = (
  scores: ArrayLike<number>,
  k: number,
  excluded: ReadonlySet<number> | Uint8Array,
): { readonly items: Int32Array; readonly scores: Float32Array } => {
  const n = scores.length;
  let mask: Uint8Array;
  if (excluded instanceof Uint8Array) mask = excluded;
  else {
    mask = new Uint8Array(n);
    for (const i of excluded) if (i >= 0 && i < n) mask[i] = 1;
  }
  const size = Math.max(0, Math.min(k, n));
  const bestItems = new Int32Array(size).fill(-1);
  const bestScores = new Float64Array(size).fill(Number.NEGATIVE_INFINITY);
  let filled = 0;
  for (let i = 0; i < n && size > 0; i++) {
    if (mask[i] === 1) continue;
    const s = scores[i]!;
    if (filled === size && !(s > bestScores[size - 1]!)) continue;
    let at = filled < size ? filled++ : size - 1;
    while (at > 0 && s > bestScores[at - 1]!) {
      bestScores[at] = bestScores[at - 1]!;
      bestItems[at] = bestItems[at - 1]!;
      at--;
    }
    bestScores[at] = s;
    bestItems[at] = i;
  }
  return { items: bestItems.subarray(0, filled), scores: Float32Array.from(bestScores.subarray(0, filled)) };
};

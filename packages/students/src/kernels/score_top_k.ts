import { pointer, type RowArena } from "../row_arena.js";

/** The arrays of {@link scoreTopK}. */
export interface ScoreTopKArgs {
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  readonly itemBiases: Float32Array | undefined;
  readonly users: Int32Array;
  readonly dim: number;
  readonly items: number;
  /** Items left out per user, as sorted CSR lists indexed by user (absent: none). */
  readonly excludeOffsets: Int32Array | undefined;
  readonly excludeItems: Int32Array | undefined;
  readonly k: number;
  /** Receive each row's best items and scores, best first, `[users.length, k]` (-1 / -∞ where fewer). */
  readonly outItems: Int32Array;
  readonly outScores: Float32Array;
  /** Scratch room of {@link scoreTopKWorkSize} floats (the items blocked four at a time). */
  readonly work: Float32Array;
}

/** Floats of scratch {@link scoreTopK} needs: the blocked item table and biases, and the user's splats. */
export const scoreTopKWorkSize = (items: number, dim: number): number => {
  const blocks = paddedBlocks(items);
  return blocks * dim * 4 + blocks * 4 + dim * 4 + 16;
};

/** Blocks of four items, padded to whole groups of four blocks (the kernel scores 16 at a time). */
const paddedBlocks = (items: number): number => Math.ceil(items / 16) * 4;

/**
 * Lays the item table out four items at a time (block j: factor d of items 4j … 4j+3 together),
 * the biases likewise, zero-padded: one SIMD lane per item.
 */
const blockItems = (
  Q: Float32Array,
  biases: Float32Array | undefined,
  items: number,
  dim: number,
  work: Float32Array,
) => {
  const blocks = paddedBlocks(items);
  const blocked = work.subarray(0, blocks * dim * 4).fill(0);
  const blockedBiases = work.subarray(blocks * dim * 4, blocks * dim * 4 + blocks * 4).fill(0);
  for (let i = 0; i < items; i++) {
    const base = (i >> 2) * dim * 4 + (i & 3);
    for (let d = 0; d < dim; d++) blocked[base + d * 4] = Q[i * dim + d]!;
    if (biases !== undefined) blockedBiases[i] = biases[i]!;
  }
  return { blocked, blockedBiases, scratch: work.subarray(blocks * dim * 4 + blocks * 4) };
};

/**
 * Each user's `k` best items outside their excluded items, in one pass over the catalogue (no
 * score matrix, no mask): ties go to the lower index, NaN scores never rank.
 */
export const scoreTopK = (arena: RowArena, a: ScoreTopKArgs): void => {
  if (a.work.length < scoreTopKWorkSize(a.items, a.dim)) throw new RangeError("scoreTopK: work is too small");
  const { userFactors: P, itemFactors: Q, itemBiases: biases, users, dim, items, k, outItems, outScores } = a;
  const { excludeOffsets, excludeItems } = a;
  const kernels = arena.kernelsFor(P, users, excludeOffsets, excludeItems, outItems, outScores, a.work);
  if (kernels !== undefined) {
    const { blocked, blockedBiases, scratch } = blockItems(Q, biases, items, dim, a.work);
    kernels.scoreTopK(
      pointer(P),
      pointer(blocked),
      pointer(blockedBiases),
      pointer(users),
      users.length,
      dim,
      items,
      pointer(excludeOffsets),
      pointer(excludeItems),
      k,
      pointer(outItems),
      pointer(outScores),
      pointer(scratch),
    );
    return;
  }
  for (let b = 0; b < users.length; b++) {
    const user = users[b]!;
    const pu = user * dim;
    const bestItems = outItems.subarray(b * k, (b + 1) * k).fill(-1);
    const bestScores = outScores.subarray(b * k, (b + 1) * k).fill(Number.NEGATIVE_INFINITY);
    let next = excludeOffsets === undefined ? 0 : excludeOffsets[user]!;
    const end = excludeOffsets === undefined ? 0 : excludeOffsets[user + 1]!;
    let filled = 0;
    for (let i = 0; i < items; i++) {
      if (next < end && excludeItems![next] === i) {
        next++;
        continue;
      }
      let score = 0;
      for (let d = 0; d < dim; d++) score += P[pu + d]! * Q[i * dim + d]!;
      score = Math.fround(score + (biases === undefined ? 0 : biases[i]!));
      if (Number.isNaN(score) || (filled === k && !(score > bestScores[k - 1]!))) continue;
      let at = filled < k ? filled++ : k - 1;
      while (at > 0 && score > bestScores[at - 1]!) {
        bestScores[at] = bestScores[at - 1]!;
        bestItems[at] = bestItems[at - 1]!;
        at--;
      }
      bestScores[at] = score;
      bestItems[at] = i;
    }
  }
};

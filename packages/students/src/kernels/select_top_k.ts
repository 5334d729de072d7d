import { pointer, type RowArena } from "../row_arena.js";

/**
 * {@link selectTopK} in the arena as a WebAssembly SIMD kernel (four scores per comparison), for
 * rows `stride` floats apart (a multiple of 4, ≥ items); false where the arena has no SIMD kernels
 * or an array lies outside it (the caller then uses {@link selectTopK}).
 */
export const selectTopKInArena = (
  arena: RowArena,
  a: {
    readonly scores: Float32Array;
    readonly users: Int32Array;
    readonly items: number;
    readonly stride: number;
    readonly excludeOffsets: Int32Array | undefined;
    readonly excludeItems: Int32Array | undefined;
    readonly k: number;
    readonly outItems: Int32Array;
    readonly outScores: Float32Array;
  },
): boolean => {
  const kernels = arena.kernelsFor(a.scores, a.users, a.excludeOffsets, a.excludeItems, a.outItems, a.outScores);
  if (kernels === undefined || a.stride % 4 !== 0) return false;
  kernels.selectTopK(
    pointer(a.scores),
    pointer(a.users),
    a.users.length,
    a.items,
    a.stride,
    pointer(a.excludeOffsets),
    pointer(a.excludeItems),
    a.k,
    pointer(a.outItems),
    pointer(a.outScores),
  );
  return true;
};

/**
 * Each row's `k` best items from a score matrix `[rows, items]` (row-major), leaving out the
 * row's user's items in `exclude` (sorted CSR lists by user): the selection half of a top-K whose
 * scores came from a matrix product on the engine. Ties go to the lower index; NaN never ranks.
 * Writes rows `rowOffset …` of `outItems` / `outScores` (`[*, k]`, -1 / -∞ where fewer).
 */
export const selectTopK = (
  scores: Float32Array,
  rowUsers: Int32Array,
  items: number,
  exclude: { readonly offsets: Int32Array; readonly items: Int32Array } | undefined,
  k: number,
  outItems: Int32Array,
  outScores: Float32Array,
  rowOffset: number,
): void => {
  for (let b = 0; b < rowUsers.length; b++) {
    const user = rowUsers[b]!;
    const base = b * items;
    const at = (rowOffset + b) * k;
    const bestItems = outItems.subarray(at, at + k).fill(-1);
    const bestScores = outScores.subarray(at, at + k).fill(Number.NEGATIVE_INFINITY);
    const lo = exclude === undefined ? 0 : exclude.offsets[user]!;
    const hi = exclude === undefined ? 0 : exclude.offsets[user + 1]!;
    let filled = 0;
    let threshold = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < items; i++) {
      const s = scores[base + i]!;
      // Most items fail this one comparison (well predicted): only contenders go further.
      if (filled === k ? !(s > threshold) : Number.isNaN(s)) continue;
      if (hi > lo && excluded(exclude!.items, lo, hi, i)) continue;
      let slot = filled < k ? filled++ : k - 1;
      while (slot > 0 && s > bestScores[slot - 1]!) {
        bestScores[slot] = bestScores[slot - 1]!;
        bestItems[slot] = bestItems[slot - 1]!;
        slot--;
      }
      bestScores[slot] = s;
      bestItems[slot] = i;
      if (filled === k) threshold = bestScores[k - 1]!;
    }
  }
};

/** Whether `item` is in the sorted `list[lo … hi)` (binary search). */
const excluded = (list: Int32Array, lo: number, hi: number, item: number): boolean => {
  let a = lo;
  let b = hi - 1;
  while (a <= b) {
    const mid = (a + b) >> 1;
    const v = list[mid]!;
    if (v === item) return true;
    if (v < item) a = mid + 1;
    else b = mid - 1;
  }
  return false;
};

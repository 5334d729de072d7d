// AssemblyScript: compiled to WebAssembly by scripts/build-kernels.mjs. Pointers are byte
// offsets into the imported memory; ids and counts are i32.

import { clearBest, insertBest } from "./top_k_buffer";

/**
 * The selection half of a top-K whose scores came from elsewhere (a matrix product on the engine):
 * for each row b of `scores` (`[rows, items]`, user users[b]), the k best items outside the user's
 * sorted CSR list (excludeItems[excludeOffsets[u] .. excludeOffsets[u + 1]), none when
 * excludeOffsets = 0), best first (ties: the lower index; NaN never ranks), into outItems /
 * outScores `[rows, k]` (-1 / -∞ where fewer). Rows lie `stride` floats apart (a multiple of 4, at
 * least `items`; what lies past `items` is never ranked). Four scores are compared with the k-th
 * best at once: a group none of which beats it costs one comparison.
 */
export function selectTopK(
  scores: usize,
  users: usize,
  rows: i32,
  items: i32,
  stride: i32,
  excludeOffsets: usize,
  excludeItems: usize,
  k: i32,
  outItems: usize,
  outScores: usize,
): void {
  for (let b = 0; b < rows; b++) {
    const user = load<i32>(users + ((<usize>b) << 2));
    const row = scores + ((<usize>(b * stride)) << 2);
    const bestItems = outItems + ((<usize>(b * k)) << 2);
    const bestScores = outScores + ((<usize>(b * k)) << 2);
    clearBest(bestItems, bestScores, k);
    let next: i32 = 0;
    let end: i32 = 0;
    if (excludeOffsets !== 0) {
      next = load<i32>(excludeOffsets + ((<usize>user) << 2));
      end = load<i32>(excludeOffsets + ((<usize>(user + 1)) << 2));
    }
    let filled: i32 = 0;
    let threshold: f32 = -Infinity;
    for (let first = 0; first < stride; first += 4) {
      const group = v128.load(row + ((<usize>first) << 2));
      if (filled === k && !v128.any_true(f32x4.gt(group, f32x4.splat(threshold)))) {
        while (next < end && load<i32>(excludeItems + ((<usize>next) << 2)) < first + 4) next++;
        continue;
      }
      for (let lane = 0; lane < 4; lane++) {
        const i = first + lane;
        if (i >= items) break;
        while (next < end && load<i32>(excludeItems + ((<usize>next) << 2)) < i) next++;
        if (next < end && load<i32>(excludeItems + ((<usize>next) << 2)) === i) continue;
        const score = load<f32>(row + ((<usize>i) << 2));
        // biome-ignore lint/suspicious/noGlobalIsNan: AssemblyScript's isNaN<f32> is a typed builtin, not JavaScript's
        if (isNaN<f32>(score) || (filled === k && !(score > threshold))) continue;
        filled = insertBest(bestItems, bestScores, filled, k, i, score);
        if (filled === k) threshold = load<f32>(bestScores + ((<usize>(k - 1)) << 2));
      }
    }
  }
}

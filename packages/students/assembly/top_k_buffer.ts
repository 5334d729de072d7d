// AssemblyScript: compiled to WebAssembly by scripts/build-kernels.mjs. The sorted buffer both
// top-K kernels keep a row's best items in (binaryen inlines these small functions).

/** Empties a row's buffer of `k` places: items -1, scores -∞. */
export function clearBest(bestItems: usize, bestScores: usize, k: i32): void {
  for (let j = 0; j < k; j++) {
    store<i32>(bestItems + ((<usize>j) << 2), -1);
    store<f32>(bestScores + ((<usize>j) << 2), -Infinity);
  }
}

/**
 * Puts (item, score) in its place among the `filled` best so far (the last one drops out when
 * the buffer is full; equal scores keep the earlier item first) and returns how many are filled.
 */
export function insertBest(bestItems: usize, bestScores: usize, filled: i32, k: i32, item: i32, score: f32): i32 {
  let at: i32 = filled < k ? filled : k - 1;
  while (at > 0) {
    const above = load<f32>(bestScores + ((<usize>(at - 1)) << 2));
    if (!(score > above)) break;
    store<f32>(bestScores + ((<usize>at) << 2), above);
    store<i32>(bestItems + ((<usize>at) << 2), load<i32>(bestItems + ((<usize>(at - 1)) << 2)));
    at--;
  }
  store<f32>(bestScores + ((<usize>at) << 2), score);
  store<i32>(bestItems + ((<usize>at) << 2), item);
  return filled < k ? filled + 1 : k;
}

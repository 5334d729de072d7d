// AssemblyScript: compiled to WebAssembly by scripts/build-kernels.mjs. Pointers are byte
// offsets into the imported memory; ids and counts are i32.

import { clearBest, insertBest } from "./top_k_buffer";

/**
 * For each row b, user u = users[b]: scores u against every item (P[u] · Q[i] + biases[i]), skips
 * the items of u in the sorted CSR lists excludeItems[excludeOffsets[u] .. excludeOffsets[u + 1])
 * (none when excludeOffsets = 0), and keeps the k best, best first (ties: the lower index first;
 * NaN never ranks), in outItems / outScores `[rows, k]`; unfilled places hold -1 / -∞.
 *
 * The items come blocked four at a time (`blocked`: block j holds dim × 4 floats, factor d of
 * items 4j … 4j+3 together; `blockedBiases` four per block, 0 without biases), padded to a
 * multiple of 16 items, so that one SIMD lane scores one item with no horizontal sum. Four blocks
 * are scored together: four independent accumulators keep the multiply-adds from waiting on each
 * other's latency. A block none of whose scores beats the k-th best so far is dismissed with one
 * comparison. `scratch` is room for (dim + 4) × 16 bytes.
 */
export function scoreTopK(
  P: usize,
  blocked: usize,
  blockedBiases: usize,
  users: usize,
  rows: i32,
  dim: i32,
  items: i32,
  excludeOffsets: usize,
  excludeItems: usize,
  k: i32,
  outItems: usize,
  outScores: usize,
  scratch: usize,
): void {
  const blocks = ((items + 15) >> 4) << 2;
  const blockBytes = (<usize>dim) << 4;
  const splats = scratch;
  const lanes = scratch + blockBytes; // a group's 16 scores, read back lane by lane
  for (let b = 0; b < rows; b++) {
    const user = load<i32>(users + ((<usize>b) << 2));
    const pu = P + ((<usize>user * <usize>dim) << 2);
    for (let d = 0; d < dim; d++)
      v128.store(splats + ((<usize>d) << 4), f32x4.splat(load<f32>(pu + ((<usize>d) << 2))));
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
    for (let group = 0; group < blocks; group += 4) {
      const q = blocked + <usize>group * blockBytes;
      const bias = blockedBiases + ((<usize>group) << 4);
      let acc0 = v128.load(bias);
      let acc1 = v128.load(bias, 16);
      let acc2 = v128.load(bias, 32);
      let acc3 = v128.load(bias, 48);
      for (let o: usize = 0; o < blockBytes; o += 16) {
        const p = v128.load(splats + o);
        acc0 = f32x4.add(acc0, f32x4.mul(p, v128.load(q + o)));
        acc1 = f32x4.add(acc1, f32x4.mul(p, v128.load(q + blockBytes + o)));
        acc2 = f32x4.add(acc2, f32x4.mul(p, v128.load(q + 2 * blockBytes + o)));
        acc3 = f32x4.add(acc3, f32x4.mul(p, v128.load(q + 3 * blockBytes + o)));
      }
      v128.store(lanes, acc0);
      v128.store(lanes, acc1, 16);
      v128.store(lanes, acc2, 32);
      v128.store(lanes, acc3, 48);
      for (let j = 0; j < 4; j++) {
        const first = (group + j) << 2;
        if (filled === k && !v128.any_true(f32x4.gt(v128.load(lanes + ((<usize>j) << 4)), f32x4.splat(threshold)))) {
          while (next < end && load<i32>(excludeItems + ((<usize>next) << 2)) < first + 4) next++;
          continue;
        }
        for (let lane = 0; lane < 4; lane++) {
          const i = first + lane;
          if (i >= items) break;
          while (next < end && load<i32>(excludeItems + ((<usize>next) << 2)) < i) next++;
          if (next < end && load<i32>(excludeItems + ((<usize>next) << 2)) === i) continue;
          const score = load<f32>(lanes + ((<usize>((j << 2) + lane)) << 2));
          // biome-ignore lint/suspicious/noGlobalIsNan: AssemblyScript's isNaN<f32> is a typed builtin, not JavaScript's
          if (isNaN<f32>(score) || (filled === k && !(score > threshold))) continue;
          filled = insertBest(bestItems, bestScores, filled, k, i, score);
          if (filled === k) threshold = load<f32>(bestScores + ((<usize>(k - 1)) << 2));
        }
      }
    }
  }
}

// AssemblyScript: compiled to WebAssembly by scripts/build-kernels.mjs. Pointers are byte
// offsets into the imported memory; ids and counts are i32.

import { clearBest, insertBest } from "./top_k_buffer";

// A row's selection state in scratch memory (read and written only when a group has candidates).
const FILLED: usize = 0;
const THRESHOLD: usize = 4;
const NEXT: usize = 8;
const END: usize = 12;
const STATE_BYTES: usize = 16;

/** The lanes of a group of 16 scores that can enter a row's k best (bit j: score j). */
function candidatesOf(acc0: v128, acc1: v128, acc2: v128, acc3: v128, full: bool, threshold: f32): i32 {
  // Above the k-th best once k are kept, else anything but NaN (NaN compares false either way).
  // A lane below the bar now stays below it: the bar only rises.
  if (full) {
    const bar = f32x4.splat(threshold);
    return (
      i32x4.bitmask(f32x4.gt(acc0, bar)) |
      (i32x4.bitmask(f32x4.gt(acc1, bar)) << 4) |
      (i32x4.bitmask(f32x4.gt(acc2, bar)) << 8) |
      (i32x4.bitmask(f32x4.gt(acc3, bar)) << 12)
    );
  }
  return (
    i32x4.bitmask(f32x4.eq(acc0, acc0)) |
    (i32x4.bitmask(f32x4.eq(acc1, acc1)) << 4) |
    (i32x4.bitmask(f32x4.eq(acc2, acc2)) << 8) |
    (i32x4.bitmask(f32x4.eq(acc3, acc3)) << 12)
  );
}

/**
 * Offers a row the candidate lanes of one group (its 16 scores in four vectors, stored at `lanes`
 * to be read lane by lane; the first item `first`), skipping excluded items; updates the row's
 * state at `state`.
 */
function offer(
  state: usize,
  lanes: usize,
  acc0: v128,
  acc1: v128,
  acc2: v128,
  acc3: v128,
  candidates: i32,
  first: i32,
  items: i32,
  excludeItems: usize,
  k: i32,
  bestItems: usize,
  bestScores: usize,
): void {
  v128.store(lanes, acc0);
  v128.store(lanes, acc1, 16);
  v128.store(lanes, acc2, 32);
  v128.store(lanes, acc3, 48);
  let filled = load<i32>(state, FILLED);
  let threshold = load<f32>(state, THRESHOLD);
  let next = load<i32>(state, NEXT);
  const end = load<i32>(state, END);
  while (candidates !== 0) {
    const lane = ctz<i32>(candidates);
    candidates &= candidates - 1;
    const i = first + lane;
    if (i >= items) break;
    const score = load<f32>(lanes + ((<usize>lane) << 2));
    if (filled === k && !(score > threshold)) continue;
    // The excluded list is walked only here, when a score would enter: it moves forward with i.
    while (next < end && load<i32>(excludeItems + ((<usize>next) << 2)) < i) next++;
    if (next < end && load<i32>(excludeItems + ((<usize>next) << 2)) === i) continue;
    filled = insertBest(bestItems, bestScores, filled, k, i, score);
    if (filled === k) threshold = load<f32>(bestScores + ((<usize>(k - 1)) << 2));
  }
  store<i32>(state, filled, FILLED);
  store<f32>(state, threshold, THRESHOLD);
  store<i32>(state, next, NEXT);
}

/** Starts a row: an empty k-best buffer and the user's excluded list. */
function startRow(state: usize, user: i32, excludeOffsets: usize, k: i32, bestItems: usize, bestScores: usize): void {
  clearBest(bestItems, bestScores, k);
  store<i32>(state, 0, FILLED);
  store<f32>(state, -Infinity, THRESHOLD);
  store<i32>(state, excludeOffsets === 0 ? 0 : load<i32>(excludeOffsets + ((<usize>user) << 2)), NEXT);
  store<i32>(state, excludeOffsets === 0 ? 0 : load<i32>(excludeOffsets + ((<usize>(user + 1)) << 2)), END);
}

/** The user's factors, each splatted to four lanes, at `splats`. */
function splatUser(P: usize, user: i32, dim: i32, splats: usize): void {
  const pu = P + ((<usize>user * <usize>dim) << 2);
  for (let d = 0; d < dim; d++) v128.store(splats + ((<usize>d) << 4), f32x4.splat(load<f32>(pu + ((<usize>d) << 2))));
}

/**
 * For each row b, user u = users[b]: scores u against every item (P[u] · Q[i] + biases[i]), skips
 * the items of u in the sorted CSR lists excludeItems[excludeOffsets[u] .. excludeOffsets[u + 1])
 * (none when excludeOffsets = 0), and keeps the k best, best first (ties: the lower index first;
 * NaN never ranks), in outItems / outScores `[rows, k]`; unfilled places hold -1 / -∞.
 *
 * The items come blocked four at a time (`blocked`: block j holds dim × 4 floats, factor d of
 * items 4j … 4j+3 together; `blockedBiases` four per block, 0 without biases), padded to a
 * multiple of 16 items, so that one SIMD lane scores one item with no horizontal sum. Two users
 * share each load of the items, and four blocks are scored together: eight independent
 * accumulators keep the multiply-adds from waiting on each other's latency. A group none of whose
 * 16 scores can enter a row's k best is dismissed with one test, and the excluded list is walked
 * only for scores that would enter. `scratch` is room for (2 × dim + 8) × 16 bytes.
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
  const splatsA = scratch;
  const splatsB = scratch + blockBytes;
  const lanes = splatsB + blockBytes; // a group's 16 scores, read back lane by lane
  const stateA = lanes + 64;
  const stateB = stateA + STATE_BYTES;
  for (let b = 0; b < rows; b += 2) {
    // Rows in pairs; an odd last row is paired with itself and its twin's results are not kept.
    const twin = b + 1 < rows;
    const userA = load<i32>(users + ((<usize>b) << 2));
    const userB = twin ? load<i32>(users + ((<usize>(b + 1)) << 2)) : userA;
    splatUser(P, userA, dim, splatsA);
    splatUser(P, userB, dim, splatsB);
    const bestItemsA = outItems + ((<usize>(b * k)) << 2);
    const bestScoresA = outScores + ((<usize>(b * k)) << 2);
    const bestItemsB = bestItemsA + ((<usize>k) << 2);
    const bestScoresB = bestScoresA + ((<usize>k) << 2);
    startRow(stateA, userA, excludeOffsets, k, bestItemsA, bestScoresA);
    if (twin) startRow(stateB, userB, excludeOffsets, k, bestItemsB, bestScoresB);
    let fullA = false;
    let fullB = !twin; // a missing twin takes nothing
    let thresholdA: f32 = -Infinity;
    let thresholdB: f32 = Infinity;
    for (let group = 0; group < blocks; group += 4) {
      const q = blocked + <usize>group * blockBytes;
      const bias = blockedBiases + ((<usize>group) << 4);
      let a0 = v128.load(bias);
      let a1 = v128.load(bias, 16);
      let a2 = v128.load(bias, 32);
      let a3 = v128.load(bias, 48);
      let b0 = a0;
      let b1 = a1;
      let b2 = a2;
      let b3 = a3;
      for (let o: usize = 0; o < blockBytes; o += 16) {
        const pa = v128.load(splatsA + o);
        const pb = v128.load(splatsB + o);
        const q0 = v128.load(q + o);
        const q1 = v128.load(q + blockBytes + o);
        const q2 = v128.load(q + 2 * blockBytes + o);
        const q3 = v128.load(q + 3 * blockBytes + o);
        a0 = f32x4.add(a0, f32x4.mul(pa, q0));
        a1 = f32x4.add(a1, f32x4.mul(pa, q1));
        a2 = f32x4.add(a2, f32x4.mul(pa, q2));
        a3 = f32x4.add(a3, f32x4.mul(pa, q3));
        b0 = f32x4.add(b0, f32x4.mul(pb, q0));
        b1 = f32x4.add(b1, f32x4.mul(pb, q1));
        b2 = f32x4.add(b2, f32x4.mul(pb, q2));
        b3 = f32x4.add(b3, f32x4.mul(pb, q3));
      }
      const first = group << 2;
      const candidatesA = candidatesOf(a0, a1, a2, a3, fullA, thresholdA);
      if (candidatesA !== 0) {
        offer(stateA, lanes, a0, a1, a2, a3, candidatesA, first, items, excludeItems, k, bestItemsA, bestScoresA);
        fullA = load<i32>(stateA, FILLED) === k;
        thresholdA = load<f32>(stateA, THRESHOLD);
      }
      const candidatesB = candidatesOf(b0, b1, b2, b3, fullB, thresholdB);
      if (candidatesB !== 0) {
        offer(stateB, lanes, b0, b1, b2, b3, candidatesB, first, items, excludeItems, k, bestItemsB, bestScoresB);
        fullB = load<i32>(stateB, FILLED) === k;
        thresholdB = load<f32>(stateB, THRESHOLD);
      }
    }
  }
}

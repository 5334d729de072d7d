// AssemblyScript: compiled to WebAssembly by scripts/build-kernels.mjs. Pointers are byte
// offsets into the imported memory; ids and counts are i32.

import { adamRows } from "./adam_rows";

// The parameter block of bprBatches: 32-bit words (pointers and counts as i32, rates as f32).
const P_TABLE = 0;
const Q_TABLE = 1;
const BIASES = 2; // 0: no item biases
const P_M = 3;
const P_V = 4;
const Q_M = 5;
const Q_V = 6;
const B_M = 7;
const B_V = 8;
const USERS = 9;
const POSITIVES = 10;
const NEGATIVES = 11;
const STARTS = 12; // batch b is triples starts[b] … starts[b + 1]
const BATCHES = 13;
const DIM = 14;
const RATES = 15; // per batch: the learning rate with Adam's bias correction for its step
const BETA1 = 16;
const BETA2 = 17;
const EPSILON = 18;
const L2 = 19;
const USER_SLOTS = 20; // per table row: its place among the batch's distinct rows, -1 when absent
const ITEM_SLOTS = 21;
const DISTINCT_USERS = 22;
const DISTINCT_ITEMS = 23;
const USER_GRADIENTS = 24;
const ITEM_GRADIENTS = 25;
const BIAS_GRADIENTS = 26;
const LOSSES = 27; // per batch out: mean BPR loss

function word(params: usize, field: i32): usize {
  return <usize>load<i32>(params + ((<usize>field) << 2));
}

function rate(params: usize, field: i32): f32 {
  return load<f32>(params + ((<usize>field) << 2));
}

/**
 * e^x for x ≤ 0 (σ and softplus need no more): 2^k · e^r, r = x − k·ln 2 in [−ln 2/2, ln 2/2],
 * e^r by its Taylor series to r^12 (relative error below 1e-15). Not Math.exp: its tables are
 * static data, and the arena owns all of the memory (it would overwrite them).
 */
function expNonPositive(x: f64): f64 {
  if (x < -708) return 0;
  const k = Math.round(x * Math.LOG2E);
  const r = x - k * Math.LN2;
  let p: f64 = 1.0 / 479001600;
  p = p * r + 1.0 / 39916800;
  p = p * r + 1.0 / 3628800;
  p = p * r + 1.0 / 362880;
  p = p * r + 1.0 / 40320;
  p = p * r + 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 0.5;
  p = p * r + 1;
  p = p * r + 1;
  return p * reinterpret<f64>((<i64>(<i32>k + 1023)) << 52);
}

/** P[u] · Q[i] as listScores computes it (four lanes, then the lanes summed, then the tail). */
function dot(pu: usize, qi: usize, rowBytes: usize, vectorBytes: usize): f32 {
  let sum = f32x4.splat(0);
  let o: usize = 0;
  for (; o < vectorBytes; o += 16) sum = f32x4.add(sum, f32x4.mul(v128.load(pu + o), v128.load(qi + o)));
  let d: f32 =
    f32x4.extract_lane(sum, 0) + f32x4.extract_lane(sum, 1) + f32x4.extract_lane(sum, 2) + f32x4.extract_lane(sum, 3);
  for (; o < rowBytes; o += 4) d += load<f32>(pu + o) * load<f32>(qi + o);
  return d;
}

/** into += g · row, over `rowBytes`. */
function addScaled(into: usize, row: usize, g: f32, rowBytes: usize, vectorBytes: usize): void {
  const gv = f32x4.splat(g);
  let o: usize = 0;
  for (; o < vectorBytes; o += 16)
    v128.store(into + o, f32x4.add(v128.load(into + o), f32x4.mul(gv, v128.load(row + o))));
  for (; o < rowBytes; o += 4) store<f32>(into + o, load<f32>(into + o) + g * load<f32>(row + o));
}

/** The row's place among the batch's distinct rows, given one (its gradient zeroed) if new. */
function slotOf(slots: usize, distinct: usize, count: i32, row: i32, gradients: usize, rowBytes: usize): i32 {
  const at = slots + ((<usize>row) << 2);
  const slot = load<i32>(at);
  if (slot >= 0) return slot;
  store<i32>(at, count);
  store<i32>(distinct + ((<usize>count) << 2), row);
  memory.fill(gradients + <usize>count * rowBytes, 0, rowBytes);
  return -1 - count; // new: the caller counts it
}

/** Frees the slots of the batch's distinct rows (back to -1). */
function freeSlots(slots: usize, distinct: usize, count: i32): void {
  for (let r = 0; r < count; r++) store<i32>(slots + ((<usize>load<i32>(distinct + ((<usize>r) << 2))) << 2), -1);
}

/**
 * Whole BPR training steps, one per batch of (user, positive, negative) triples, with no call out
 * of the kernel between them: per batch, the scores s⁺ = P[u]·Q[p] (+ b[p]) and s⁻, the loss
 * mean softplus(s⁻ − s⁺) and its gradient σ(s⁻ − s⁺)/B, the gradients of the batch's distinct
 * rows, then lazy Adam on those rows (L2 as weight decay 2·l2/B on the factor rows), as
 * MatrixFactorization.trainStepWithGradient with rowBprGradient does it. Tables and Adam state
 * are read and written in place, so threads running this on other batches of the same tables
 * share their updates without locks (Hogwild). All arguments are in the parameter block at
 * `params` (see the field constants above); the slot tables start at -1 and are left so.
 */
export function bprBatches(params: usize): void {
  const P = word(params, P_TABLE);
  const Q = word(params, Q_TABLE);
  const biases = word(params, BIASES);
  const users = word(params, USERS);
  const positives = word(params, POSITIVES);
  const negatives = word(params, NEGATIVES);
  const starts = word(params, STARTS);
  const batches = <i32>word(params, BATCHES);
  const dim = <i32>word(params, DIM);
  const rates = word(params, RATES);
  const beta1 = rate(params, BETA1);
  const beta2 = rate(params, BETA2);
  const epsilon = rate(params, EPSILON);
  const l2 = rate(params, L2);
  const userSlots = word(params, USER_SLOTS);
  const itemSlots = word(params, ITEM_SLOTS);
  const distinctUsers = word(params, DISTINCT_USERS);
  const distinctItems = word(params, DISTINCT_ITEMS);
  const userGradients = word(params, USER_GRADIENTS);
  const itemGradients = word(params, ITEM_GRADIENTS);
  const biasGradients = word(params, BIAS_GRADIENTS);
  const losses = word(params, LOSSES);
  const rowBytes = (<usize>dim) << 2;
  const vectorBytes = (<usize>(dim & ~3)) << 2;
  for (let batch = 0; batch < batches; batch++) {
    const first = load<i32>(starts + ((<usize>batch) << 2));
    const end = load<i32>(starts + ((<usize>(batch + 1)) << 2));
    const rows = end - first;
    let userCount: i32 = 0;
    let itemCount: i32 = 0;
    let total: f64 = 0;
    for (let r = first; r < end; r++) {
      const at = (<usize>r) << 2;
      const u = load<i32>(users + at);
      const p = load<i32>(positives + at);
      const n = load<i32>(negatives + at);
      let us = slotOf(userSlots, distinctUsers, userCount, u, userGradients, rowBytes);
      if (us < 0) {
        us = -1 - us;
        userCount++;
      }
      let ps = slotOf(itemSlots, distinctItems, itemCount, p, itemGradients, rowBytes);
      if (ps < 0) {
        ps = -1 - ps;
        if (biases !== 0) store<f32>(biasGradients + ((<usize>ps) << 2), 0);
        itemCount++;
      }
      let ns = slotOf(itemSlots, distinctItems, itemCount, n, itemGradients, rowBytes);
      if (ns < 0) {
        ns = -1 - ns;
        if (biases !== 0) store<f32>(biasGradients + ((<usize>ns) << 2), 0);
        itemCount++;
      }
      const pu = P + <usize>u * rowBytes;
      const qp = Q + <usize>p * rowBytes;
      const qn = Q + <usize>n * rowBytes;
      let positive = dot(pu, qp, rowBytes, vectorBytes);
      let negative = dot(pu, qn, rowBytes, vectorBytes);
      if (biases !== 0) {
        positive += load<f32>(biases + ((<usize>p) << 2));
        negative += load<f32>(biases + ((<usize>n) << 2));
      }
      // In f64, as the closed form in JavaScript: softplus and σ of the margin, stably.
      const margin = <f64>negative - <f64>positive;
      const small = expNonPositive(-Math.abs(margin));
      total += Math.max(margin, 0) + Math.log1p(small);
      const sigma = margin >= 0 ? 1 / (1 + small) : small / (1 + small);
      const g = <f32>(sigma / <f64>rows);
      // The positive's score gradient is −g, the negative's +g, in that order (as rowGradients).
      const gu = userGradients + <usize>us * rowBytes;
      addScaled(gu, qp, -g, rowBytes, vectorBytes);
      addScaled(itemGradients + <usize>ps * rowBytes, pu, -g, rowBytes, vectorBytes);
      if (biases !== 0)
        store<f32>(biasGradients + ((<usize>ps) << 2), load<f32>(biasGradients + ((<usize>ps) << 2)) - g);
      addScaled(gu, qn, g, rowBytes, vectorBytes);
      addScaled(itemGradients + <usize>ns * rowBytes, pu, g, rowBytes, vectorBytes);
      if (biases !== 0)
        store<f32>(biasGradients + ((<usize>ns) << 2), load<f32>(biasGradients + ((<usize>ns) << 2)) + g);
    }
    store<f32>(losses + ((<usize>batch) << 2), <f32>(total / <f64>rows));
    const lr = load<f32>(rates + ((<usize>batch) << 2));
    const decay = <f32>((2 * <f64>l2) / <f64>rows);
    // Lazy Adam on the distinct rows, as the step-by-step path does (the biases without decay).
    adamRows(
      P,
      word(params, P_M),
      word(params, P_V),
      distinctUsers,
      userGradients,
      userCount,
      dim,
      lr,
      beta1,
      beta2,
      epsilon,
      decay,
    );
    adamRows(
      Q,
      word(params, Q_M),
      word(params, Q_V),
      distinctItems,
      itemGradients,
      itemCount,
      dim,
      lr,
      beta1,
      beta2,
      epsilon,
      decay,
    );
    if (biases !== 0)
      adamRows(
        biases,
        word(params, B_M),
        word(params, B_V),
        distinctItems,
        biasGradients,
        itemCount,
        1,
        lr,
        beta1,
        beta2,
        epsilon,
        0,
      );
    freeSlots(userSlots, distinctUsers, userCount);
    freeSlots(itemSlots, distinctItems, itemCount);
  }
}

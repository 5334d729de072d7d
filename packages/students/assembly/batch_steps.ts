// AssemblyScript: compiled to WebAssembly by scripts/build-kernels.mjs. Pointers are byte
// offsets into the imported memory; ids and counts are i32.
//
// What the whole-batch training kernels (bprBatches, softLabelBatches) share: the fields of their
// parameter block that both read, the row arithmetic, the distinct-row slots, and the lazy Adam
// step that ends every batch.

import { adamRows } from "./adam_rows";

// Fields both kernels read from their parameter block: 32-bit words (pointers and counts as i32,
// rates as f32). Fields 9–11 and 28 on are each kernel's own.
export const P_TABLE = 0;
export const Q_TABLE = 1;
export const BIASES = 2; // 0: no item biases
export const P_M = 3;
export const P_V = 4;
export const Q_M = 5;
export const Q_V = 6;
export const B_M = 7;
export const B_V = 8;
export const STARTS = 12; // batch b is rows starts[b] … starts[b + 1]
export const BATCHES = 13;
export const DIM = 14;
export const RATES = 15; // per batch: the learning rate with Adam's bias correction for its step
export const BETA1 = 16;
export const BETA2 = 17;
export const EPSILON = 18;
export const L2 = 19;
export const USER_SLOTS = 20; // per table row: its place among the batch's distinct rows, -1 when absent
export const ITEM_SLOTS = 21;
export const DISTINCT_USERS = 22;
export const DISTINCT_ITEMS = 23;
export const USER_GRADIENTS = 24;
export const ITEM_GRADIENTS = 25;
export const BIAS_GRADIENTS = 26;
export const LOSSES = 27; // per batch out: the kernel's loss values

export function word(params: usize, field: i32): usize {
  return <usize>load<i32>(params + ((<usize>field) << 2));
}

export function rate(params: usize, field: i32): f32 {
  return load<f32>(params + ((<usize>field) << 2));
}

/**
 * e^x for x ≤ 0 (σ, softplus and softmax over maxima need no more): 2^k · e^r, r = x − k·ln 2 in
 * [−ln 2/2, ln 2/2], e^r by its Taylor series to r^12 (relative error below 1e-15). Not Math.exp:
 * its tables are static data, and the arena owns all of the memory (it would overwrite them).
 */
export function expNonPositive(x: f64): f64 {
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

/**
 * e^x of two lanes, x ≤ 0, to a relative error below 3e-10 (f32 results round alike): 2^k · e^r
 * with k = round(x·log₂e) found by adding 1.5·2^52 (whose low mantissa bits then hold k, which
 * also builds 2^k), r = x − k·ln 2, and e^r by its Taylor series to r^9 evaluated by Estrin's
 * scheme (short dependency chains: the lanes and the calls overlap). Lanes below −708 give 0.
 */
export function expNonPositive2(x: v128): v128 {
  const magic = f64x2.splat(6755399441055744.0); // 1.5 · 2^52
  const shifted = f64x2.add(f64x2.mul(x, f64x2.splat(Math.LOG2E)), magic);
  const k = f64x2.sub(shifted, magic);
  const r = f64x2.sub(x, f64x2.mul(k, f64x2.splat(Math.LN2)));
  const r2 = f64x2.mul(r, r);
  const r4 = f64x2.mul(r2, r2);
  const r8 = f64x2.mul(r4, r4);
  // Σ rⁿ/n!, n ≤ 9, as (c0 + c1 r) + r²(c2 + c3 r) + r⁴((c4 + c5 r) + r²(c6 + c7 r)) + r⁸(c8 + c9 r).
  const p01 = f64x2.add(f64x2.splat(1), r);
  const p23 = f64x2.add(f64x2.splat(1.0 / 2), f64x2.mul(r, f64x2.splat(1.0 / 6)));
  const p45 = f64x2.add(f64x2.splat(1.0 / 24), f64x2.mul(r, f64x2.splat(1.0 / 120)));
  const p67 = f64x2.add(f64x2.splat(1.0 / 720), f64x2.mul(r, f64x2.splat(1.0 / 5040)));
  const p89 = f64x2.add(f64x2.splat(1.0 / 40320), f64x2.mul(r, f64x2.splat(1.0 / 362880)));
  const low = f64x2.add(p01, f64x2.mul(r2, p23));
  const high = f64x2.add(p45, f64x2.mul(r2, p67));
  const p = f64x2.add(f64x2.add(low, f64x2.mul(r4, high)), f64x2.mul(r8, p89));
  const scale = i64x2.shl(i64x2.add(shifted, i64x2.splat(1023)), 52);
  return v128.andnot(f64x2.mul(p, scale), f64x2.lt(x, f64x2.splat(-708)));
}

/**
 * Writes expNonPositive4's 13 constant vectors (208 bytes) at `at`, once per kernel call: read from
 * memory, each is one load the engine can fold into its arithmetic, where a constant vector in
 * the loop was rebuilt from an immediate every time (three instructions each, a dozen per call).
 */
export function writeExpConstants(at: usize): void {
  v128.store(at, f32x4.splat(12582912.0)); // 1.5 · 2^23
  v128.store(at, f32x4.splat(-87), 16);
  v128.store(at, f32x4.splat(<f32>Math.LOG2E), 32);
  v128.store(at, f32x4.splat(0.693359375), 48); // ln 2 in two parts
  v128.store(at, f32x4.splat(-2.1219444e-4), 64);
  v128.store(at, f32x4.splat(1), 80);
  v128.store(at, f32x4.splat(1.0 / 2), 96);
  v128.store(at, f32x4.splat(<f32>(1.0 / 6)), 112);
  v128.store(at, f32x4.splat(<f32>(1.0 / 24)), 128);
  v128.store(at, f32x4.splat(<f32>(1.0 / 120)), 144);
  v128.store(at, f32x4.splat(<f32>(1.0 / 720)), 160);
  v128.store(at, f32x4.splat(<f32>(1.0 / 5040)), 176);
  v128.store(at, i32x4.splat(127), 192);
}

/**
 * e^x of four f32 lanes, x ≤ 0, to about one f32 ulp: 2^k · e^r with k = round(x·log₂e) found by
 * adding 1.5·2^23 (whose low mantissa bits then hold k, which also builds 2^k), r = x − k·ln 2 in
 * two parts (Cody–Waite), and e^r by its Taylor series to r^7 (Estrin's scheme). Lanes below −87
 * (where 2^k would be subnormal) give 0. `constants`: what writeExpConstants wrote.
 */
export function expNonPositive4(x: v128, constants: usize): v128 {
  const magic = v128.load(constants);
  const lowest = v128.load(constants, 16);
  // pmax (x < −87 ? −87 : x) is one instruction where max's NaN and ±0 rules take seven; the
  // same lanes here (a NaN lane stays NaN through the rest).
  const clamped = f32x4.pmax(x, lowest);
  const shifted = f32x4.add(f32x4.mul(clamped, v128.load(constants, 32)), magic);
  const k = f32x4.sub(shifted, magic);
  const r = f32x4.sub(
    f32x4.sub(clamped, f32x4.mul(k, v128.load(constants, 48))),
    f32x4.mul(k, v128.load(constants, 64)),
  );
  const r2 = f32x4.mul(r, r);
  const r4 = f32x4.mul(r2, r2);
  // Σ rⁿ/n!, n ≤ 7, as (c0 + c1 r) + r²(c2 + c3 r) + r⁴((c4 + c5 r) + r²(c6 + c7 r)).
  const p01 = f32x4.add(v128.load(constants, 80), r);
  const p23 = f32x4.add(v128.load(constants, 96), f32x4.mul(r, v128.load(constants, 112)));
  const p45 = f32x4.add(v128.load(constants, 128), f32x4.mul(r, v128.load(constants, 144)));
  const p67 = f32x4.add(v128.load(constants, 160), f32x4.mul(r, v128.load(constants, 176)));
  const p = f32x4.add(f32x4.add(p01, f32x4.mul(r2, p23)), f32x4.mul(r4, f32x4.add(p45, f32x4.mul(r2, p67))));
  const scale = i32x4.shl(i32x4.add(shifted, v128.load(constants, 192)), 23);
  return v128.andnot(f32x4.mul(p, scale), f32x4.lt(x, lowest));
}

/** P[u] · Q[i] as listScores computes it (four lanes, then the lanes summed, then the tail). */
export function dot(pu: usize, qi: usize, rowBytes: usize, vectorBytes: usize): f32 {
  let sum = f32x4.splat(0);
  let o: usize = 0;
  for (; o < vectorBytes; o += 16) sum = f32x4.add(sum, f32x4.mul(v128.load(pu + o), v128.load(qi + o)));
  let d: f32 =
    f32x4.extract_lane(sum, 0) + f32x4.extract_lane(sum, 1) + f32x4.extract_lane(sum, 2) + f32x4.extract_lane(sum, 3);
  for (; o < rowBytes; o += 4) d += load<f32>(pu + o) * load<f32>(qi + o);
  return d;
}

/**
 * P[u] · Q[i] of four rows at once, written to out[0 … 3]: each sum in `dot`'s order (so the
 * same values), the four chains interleaved so that their additions overlap.
 */
export function dot4(
  pu: usize,
  q0: usize,
  q1: usize,
  q2: usize,
  q3: usize,
  rowBytes: usize,
  vectorBytes: usize,
  out: usize,
): void {
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let s2 = f32x4.splat(0);
  let s3 = f32x4.splat(0);
  let o: usize = 0;
  for (; o < vectorBytes; o += 16) {
    const p = v128.load(pu + o);
    s0 = f32x4.add(s0, f32x4.mul(p, v128.load(q0 + o)));
    s1 = f32x4.add(s1, f32x4.mul(p, v128.load(q1 + o)));
    s2 = f32x4.add(s2, f32x4.mul(p, v128.load(q2 + o)));
    s3 = f32x4.add(s3, f32x4.mul(p, v128.load(q3 + o)));
  }
  let d0: f32 =
    f32x4.extract_lane(s0, 0) + f32x4.extract_lane(s0, 1) + f32x4.extract_lane(s0, 2) + f32x4.extract_lane(s0, 3);
  let d1: f32 =
    f32x4.extract_lane(s1, 0) + f32x4.extract_lane(s1, 1) + f32x4.extract_lane(s1, 2) + f32x4.extract_lane(s1, 3);
  let d2: f32 =
    f32x4.extract_lane(s2, 0) + f32x4.extract_lane(s2, 1) + f32x4.extract_lane(s2, 2) + f32x4.extract_lane(s2, 3);
  let d3: f32 =
    f32x4.extract_lane(s3, 0) + f32x4.extract_lane(s3, 1) + f32x4.extract_lane(s3, 2) + f32x4.extract_lane(s3, 3);
  for (; o < rowBytes; o += 4) {
    const p = load<f32>(pu + o);
    d0 += p * load<f32>(q0 + o);
    d1 += p * load<f32>(q1 + o);
    d2 += p * load<f32>(q2 + o);
    d3 += p * load<f32>(q3 + o);
  }
  store<f32>(out, d0);
  store<f32>(out, d1, 4);
  store<f32>(out, d2, 8);
  store<f32>(out, d3, 12);
}

/** into += g · row, over `rowBytes`. */
export function addScaled(into: usize, row: usize, g: f32, rowBytes: usize, vectorBytes: usize): void {
  const gv = f32x4.splat(g);
  let o: usize = 0;
  for (; o < vectorBytes; o += 16)
    v128.store(into + o, f32x4.add(v128.load(into + o), f32x4.mul(gv, v128.load(row + o))));
  for (; o < rowBytes; o += 4) store<f32>(into + o, load<f32>(into + o) + g * load<f32>(row + o));
}

/**
 * into += g0 · r0, then += g1 · r1, += g2 · r2, += g3 · r3: four `addScaled` calls' values (the
 * same additions in the same order), `into` read and written once.
 */
export function addScaled4(
  into: usize,
  r0: usize,
  r1: usize,
  r2: usize,
  r3: usize,
  g0: f32,
  g1: f32,
  g2: f32,
  g3: f32,
  rowBytes: usize,
  vectorBytes: usize,
): void {
  const v0 = f32x4.splat(g0);
  const v1 = f32x4.splat(g1);
  const v2 = f32x4.splat(g2);
  const v3 = f32x4.splat(g3);
  let o: usize = 0;
  for (; o < vectorBytes; o += 16) {
    let x = f32x4.add(v128.load(into + o), f32x4.mul(v0, v128.load(r0 + o)));
    x = f32x4.add(x, f32x4.mul(v1, v128.load(r1 + o)));
    x = f32x4.add(x, f32x4.mul(v2, v128.load(r2 + o)));
    v128.store(into + o, f32x4.add(x, f32x4.mul(v3, v128.load(r3 + o))));
  }
  for (; o < rowBytes; o += 4) {
    let x = load<f32>(into + o) + g0 * load<f32>(r0 + o);
    x += g1 * load<f32>(r1 + o);
    x += g2 * load<f32>(r2 + o);
    store<f32>(into + o, x + g3 * load<f32>(r3 + o));
  }
}

/** The row's place among the batch's distinct rows, given one (its gradient zeroed) if new. */
export function slotOf(slots: usize, distinct: usize, count: i32, row: i32, gradients: usize, rowBytes: usize): i32 {
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
 * The end of batch `batch` of `rows` rows: lazy Adam on its distinct rows, as the step-by-step
 * path does (L2 as weight decay 2·l2/rows on the factor rows, none on the biases), then the slots
 * freed for the next batch.
 */
export function adamOnBatchRows(params: usize, batch: i32, rows: i32, userCount: i32, itemCount: i32): void {
  const dim = <i32>word(params, DIM);
  const beta1 = rate(params, BETA1);
  const beta2 = rate(params, BETA2);
  const epsilon = rate(params, EPSILON);
  const lr = load<f32>(word(params, RATES) + ((<usize>batch) << 2));
  const decay = <f32>((2 * <f64>rate(params, L2)) / <f64>rows);
  const distinctUsers = word(params, DISTINCT_USERS);
  const distinctItems = word(params, DISTINCT_ITEMS);
  const biases = word(params, BIASES);
  adamRows(
    word(params, P_TABLE),
    word(params, P_M),
    word(params, P_V),
    distinctUsers,
    word(params, USER_GRADIENTS),
    userCount,
    dim,
    lr,
    beta1,
    beta2,
    epsilon,
    decay,
  );
  adamRows(
    word(params, Q_TABLE),
    word(params, Q_M),
    word(params, Q_V),
    distinctItems,
    word(params, ITEM_GRADIENTS),
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
      word(params, BIAS_GRADIENTS),
      itemCount,
      1,
      lr,
      beta1,
      beta2,
      epsilon,
      0,
    );
  freeSlots(word(params, USER_SLOTS), distinctUsers, userCount);
  freeSlots(word(params, ITEM_SLOTS), distinctItems, itemCount);
}

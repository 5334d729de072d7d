// AssemblyScript: compiled to WebAssembly by scripts/build-kernels.mjs. Pointers are byte
// offsets into the imported memory; ids and counts are i32.

import {
  adamOnBatchRows,
  addScaled,
  BATCHES,
  BIAS_GRADIENTS,
  BIASES,
  DIM,
  DISTINCT_ITEMS,
  DISTINCT_USERS,
  dot,
  expNonPositive,
  ITEM_GRADIENTS,
  ITEM_SLOTS,
  LOSSES,
  P_TABLE,
  Q_TABLE,
  STARTS,
  slotOf,
  USER_GRADIENTS,
  USER_SLOTS,
  word,
} from "./batch_steps";

// bprBatches' own fields of the parameter block (the others: see batch_steps.ts).
const USERS = 9;
const POSITIVES = 10;
const NEGATIVES = 11;

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
    adamOnBatchRows(params, batch, rows, userCount, itemCount);
  }
}

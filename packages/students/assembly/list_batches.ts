// AssemblyScript: compiled to WebAssembly by scripts/build-kernels.mjs. Pointers are byte
// offsets into the imported memory; ids and counts are i32.

import {
  adamOnBatchRows,
  addScaled,
  addScaled4,
  BATCHES,
  BIAS_GRADIENTS,
  BIASES,
  DIM,
  DISTINCT_ITEMS,
  DISTINCT_USERS,
  dot,
  dot4,
  expNonPositive,
  expNonPositive2,
  expNonPositive4,
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
  writeExpConstants,
} from "./batch_steps";

// listBatches' own fields of the parameter block (the others: see batch_steps.ts).
const USERS = 9; // per row: its user
const LISTS = 10; // per row: `width` items
const TEACHER = 11; // the teacher's scores, row-major [users, catalogue]; 0: its factor tables, or none
const WIDTH = 28;
const CATALOGUE = 29; // items per row of the teacher's table
const ROW_SCRATCH = 30; // see listBatches
const TERMS = 31; // f64: the term count, then TERM_WORDS per term (see below), then rank weights
const TEACHER_P = 32; // without a score table: the teacher's tables (scores P[u]·Q[i] + b[i]); 0: no teacher
const TEACHER_Q = 33;
const TEACHER_BIASES = 34; // 0: none
const TEACHER_DIM = 35;
const BATCH_SCRATCH = 36; // see listBatches; 0: item gradients scattered row by row

// A term: [kind, weight, a, b, c, d, -, -] (f64). Kinds and their a … d:
const BPR = 0; // positive column, negative column
const SOFT_LABEL = 1; // first column, count, temperature
const SQUARED_ERROR = 2; // (every column, against the teacher)
const RANKING = 3; // first column, K, negative column, index of K rank weights in the block
const PLACKETT_LUCE = 4; // first column, K, items below
const SOFT_BCE = 5; // first column, count, temperature
const TERM_WORDS = 8;

function f32At(array: usize, j: i32): f32 {
  return load<f32>(array + ((<usize>j) << 2));
}

function addF32(array: usize, j: i32, value: f64): void {
  const at = array + ((<usize>j) << 2);
  store<f32>(at, <f32>(<f64>load<f32>(at) + value));
}

function softplusAndSigma(margin: f64, out: usize): f64 {
  const small = expNonPositive(-Math.abs(margin));
  store<f64>(out, margin >= 0 ? 1 / (1 + small) : small / (1 + small));
  return Math.max(margin, 0) + Math.log1p(small);
}

/**
 * Σ ln xᵣ over `count` f64 values at `values` (finite, > 0, normal): the exponents summed and the
 * mantissas (each in [1, 2)) multiplied, renormalised every 512 of them, then one log1p — without
 * Math.log's tables, and one logarithm per row instead of one per value.
 */
function sumOfLogs(values: usize, count: i32): f64 {
  let exponents: i64 = 0;
  let product: f64 = 1;
  for (let r = 0; r < count; r++) {
    const bits = reinterpret<i64>(load<f64>(values + ((<usize>r) << 3)));
    exponents += ((bits >> 52) & 0x7ff) - 1023;
    product *= reinterpret<f64>((bits & 0xfffffffffffff) | 0x3ff0000000000000);
    if ((r & 511) === 511) {
      const productBits = reinterpret<i64>(product);
      exponents += ((productBits >> 52) & 0x7ff) - 1023;
      product = reinterpret<f64>((productBits & 0xfffffffffffff) | 0x3ff0000000000000);
    }
  }
  return <f64>exponents * Math.LN2 + Math.log1p(product - 1);
}

/** out[j] = user · table[list[j]] for the `width` items of a list, four at a time (each as `dot`). */
function listDots(
  user: usize,
  table: usize,
  rowBytes: usize,
  vectorBytes: usize,
  list: usize,
  width: i32,
  out: usize,
): void {
  let j = 0;
  for (; j + 3 < width; j += 4) {
    const at = list + ((<usize>j) << 2);
    dot4(
      user,
      table + <usize>load<i32>(at) * rowBytes,
      table + <usize>load<i32>(at, 4) * rowBytes,
      table + <usize>load<i32>(at, 8) * rowBytes,
      table + <usize>load<i32>(at, 12) * rowBytes,
      rowBytes,
      vectorBytes,
      out + ((<usize>j) << 2),
    );
  }
  for (; j < width; j++)
    store<f32>(
      out + ((<usize>j) << 2),
      dot(user, table + <usize>load<i32>(list + ((<usize>j) << 2)) * rowBytes, rowBytes, vectorBytes),
    );
}

/**
 * into += Σⱼ weights[j] · table[list[j]] over the `width` items of a list, four at a time (the
 * additions in item order, as one `addScaled` each; a zero weight adds nothing either way).
 */
function addListRows(
  into: usize,
  table: usize,
  rowBytes: usize,
  vectorBytes: usize,
  list: usize,
  width: i32,
  weights: usize,
): void {
  let j = 0;
  for (; j + 3 < width; j += 4) {
    const at = list + ((<usize>j) << 2);
    const w = weights + ((<usize>j) << 2);
    addScaled4(
      into,
      table + <usize>load<i32>(at) * rowBytes,
      table + <usize>load<i32>(at, 4) * rowBytes,
      table + <usize>load<i32>(at, 8) * rowBytes,
      table + <usize>load<i32>(at, 12) * rowBytes,
      load<f32>(w),
      load<f32>(w, 4),
      load<f32>(w, 8),
      load<f32>(w, 12),
      rowBytes,
      vectorBytes,
    );
  }
  for (; j < width; j++) {
    const wj = f32At(weights, j);
    if (wj !== 0)
      addScaled(into, table + <usize>load<i32>(list + ((<usize>j) << 2)) * rowBytes, wj, rowBytes, vectorBytes);
  }
}

/** BPR on (positive, negative) of one row, as rowBprGradient: softplus(s⁻ − s⁺), gradient scale·σ. */
function bprRow(scores: usize, gradient: usize, positive: i32, negative: i32, scale: f64, sigma: usize): f64 {
  const loss = softplusAndSigma(<f64>f32At(scores, negative) - <f64>f32At(scores, positive), sigma);
  const g = scale * load<f64>(sigma);
  addF32(gradient, negative, g);
  addF32(gradient, positive, -g);
  return loss;
}

/** Where a soft-label row's scaled scores are padded to whole vectors: its exponential is 0, as is its target. */
const PAD: f32 = -1e30;

/**
 * Soft-label cross-entropy over columns first … first + count − 1 of one row, as
 * softLabelGradient: −Σ softmax(t/T) · log softmax(s/T) (T² applied per batch), gradient
 * scale·(softmax(s/T) − softmax(t/T)) with scale = weight·T/rows. In f32, four columns at a time
 * (a last partial vector padded with PAD lanes, which change neither sum nor loss), with the
 * row's two sums and their logarithm in f64. `scratch` holds three f32 rows of count + 3.
 */
function softLabelRow(
  scores: usize,
  teacherScores: usize,
  gradient: usize,
  scratch: usize,
  first: i32,
  count: i32,
  inverseT: f64,
  scale: f64,
  constants: usize,
): f64 {
  const paddedBytes = (<usize>((count + 3) & ~3)) << 2;
  const studentScaled = scratch;
  const teacherExp = scratch + paddedBytes; // t/T, then e^{t/T − max}
  const studentExp = teacherExp + paddedBytes;
  const inverseTs = f32x4.splat(<f32>inverseT);
  const counts = i32x4.splat(count);
  const pads = f32x4.splat(PAD);
  // s/T and t/T (the lanes past `count` set to PAD) and their maxima.
  let studentMaxes = pads;
  let teacherMaxes = pads;
  for (let o: usize = 0; o < paddedBytes; o += 16) {
    const column = ((<usize>first) << 2) + o;
    const inside = i32x4.lt_s(i32x4.add(i32x4.splat(<i32>(o >> 2)), i32x4(0, 1, 2, 3)), counts);
    const s = v128.bitselect(f32x4.mul(v128.load(scores + column), inverseTs), pads, inside);
    const v = v128.bitselect(f32x4.mul(v128.load(teacherScores + column), inverseTs), pads, inside);
    v128.store(studentScaled + o, s);
    v128.store(teacherExp + o, v);
    studentMaxes = f32x4.pmax(studentMaxes, s); // (see expNonPositive4)
    teacherMaxes = f32x4.pmax(teacherMaxes, v);
  }
  const studentMax = maxLanes(studentMaxes);
  const teacherMax = maxLanes(teacherMaxes);
  studentMaxes = f32x4.splat(studentMax);
  teacherMaxes = f32x4.splat(teacherMax);
  const studentSum = sumLanes(expRow(studentScaled, studentMaxes, studentExp, paddedBytes, constants));
  const teacherSum = sumLanes(expRow(teacherExp, teacherMaxes, teacherExp, paddedBytes, constants));
  // log Σ = log1p(Σ − 1), exact enough for Σ ≥ 1 (the maximum's term is 1).
  const offsets = f32x4.splat(<f32>(<f64>studentMax + Math.log1p(studentSum - 1)));
  const perTeacherSums = f32x4.splat(<f32>(1 / teacherSum));
  const perStudentSums = f32x4.splat(<f32>(1 / studentSum));
  const scales = f32x4.splat(<f32>scale);
  // Per column: the target, the student's probability, the loss's term with
  // log q = s/T − max − log Σ, and the gradient added to the row (a partial vector lane by lane).
  let losses = f32x4.splat(0);
  for (let o: usize = 0; o < paddedBytes; o += 16) {
    const soft = f32x4.mul(v128.load(teacherExp + o), perTeacherSums);
    const probability = f32x4.mul(v128.load(studentExp + o), perStudentSums);
    losses = f32x4.sub(losses, f32x4.mul(soft, f32x4.sub(v128.load(studentScaled + o), offsets)));
    const at = gradient + ((<usize>first) << 2) + o;
    const g = f32x4.add(v128.load(at), f32x4.mul(scales, f32x4.sub(probability, soft)));
    const left = count - <i32>(o >> 2);
    if (left >= 4) v128.store(at, g);
    else {
      store<f32>(at, f32x4.extract_lane(g, 0));
      if (left > 1) store<f32>(at, f32x4.extract_lane(g, 1), 4);
      if (left > 2) store<f32>(at, f32x4.extract_lane(g, 2), 8);
    }
  }
  return sumLanes(losses);
}

/**
 * to = e^{from − max} over `bytes` (a vector a step; `to` may be `from`), returning the lanes'
 * sums. expNonPositive4's one caller: inlined here, its constants read from memory.
 */
function expRow(from: usize, maxes: v128, to: usize, bytes: usize, constants: usize): v128 {
  let sums = f32x4.splat(0);
  for (let o: usize = 0; o < bytes; o += 16) {
    const e = expNonPositive4(f32x4.sub(v128.load(from + o), maxes), constants);
    v128.store(to + o, e);
    sums = f32x4.add(sums, e);
  }
  return sums;
}

/** The largest of four f32 lanes. */
function maxLanes(lanes: v128): f32 {
  return Mathf.max(
    Mathf.max(f32x4.extract_lane(lanes, 0), f32x4.extract_lane(lanes, 1)),
    Mathf.max(f32x4.extract_lane(lanes, 2), f32x4.extract_lane(lanes, 3)),
  );
}

/** The four lanes' sum, in f64. */
function sumLanes(lanes: v128): f64 {
  return (
    <f64>f32x4.extract_lane(lanes, 0) +
    <f64>f32x4.extract_lane(lanes, 1) +
    <f64>f32x4.extract_lane(lanes, 2) +
    <f64>f32x4.extract_lane(lanes, 3)
  );
}

/** Squared error against the teacher over every column, as squaredErrorGradient (gradient scale·2·(s − t)). */
function squaredErrorRow(scores: usize, teacherScores: usize, gradient: usize, width: i32, scale: f64): f64 {
  let total: f64 = 0;
  for (let j = 0; j < width; j++) {
    const difference = <f64>f32At(scores, j) - <f64>f32At(teacherScores, j);
    total += difference * difference;
    addF32(gradient, j, 2 * scale * difference);
  }
  return total;
}

/**
 * Ranking distillation of one row, as rankingDistillationGradient: Σᵣ wᵣ·softplus(s⁻ − s_{first+r}),
 * gradient scale·wᵣ·σ per top item, their sum on the negative.
 */
function rankingRow(
  scores: usize,
  gradient: usize,
  first: i32,
  k: i32,
  negative: i32,
  rankWeights: usize,
  scale: f64,
  sigma: usize,
): f64 {
  const negativeScore = <f64>f32At(scores, negative);
  let negativeGradient: f64 = 0;
  let total: f64 = 0;
  for (let r = 0; r < k; r++) {
    const w = load<f64>(rankWeights + ((<usize>r) << 3));
    total += w * softplusAndSigma(negativeScore - <f64>f32At(scores, first + r), sigma);
    const g = scale * w * load<f64>(sigma);
    addF32(gradient, first + r, -g);
    negativeGradient += g;
  }
  addF32(gradient, negative, negativeGradient);
  return total;
}

/**
 * Plackett–Luce of one row, as plackettLuceGradient: the order of columns first … first + K − 1
 * with `below` more columns in every denominator, Σᵣ [log Dᵣ − sᵣ] with Dᵣ = Σ_{j≥r} e^{sⱼ} + Σ
 * e^{below}; ∂/∂sₖ = e^{sₖ}·Σ_{r≤k} 1/Dᵣ − 1 on the top items, e^{b}·Σᵣ 1/Dᵣ on the others.
 */
function plackettLuceRow(
  scores: usize,
  gradient: usize,
  exps: usize,
  denominators: usize,
  first: i32,
  k: i32,
  below: i32,
  scale: f64,
): f64 {
  const n = k + below;
  let shift = -Infinity;
  for (let j = 0; j < n; j++) shift = Math.max(shift, <f64>f32At(scores, first + j));
  // The exponentials two at a time (then the odd last one), the tail's sum in item order.
  const shifts = f64x2.splat(shift);
  let j = 0;
  for (; j + 1 < n; j += 2) {
    const pair = f64x2.promote_low_f32x4(v128.load64_zero(scores + ((<usize>(first + j)) << 2)));
    v128.store(exps + ((<usize>j) << 3), expNonPositive2(f64x2.sub(pair, shifts)));
  }
  if (j < n) store<f64>(exps + ((<usize>j) << 3), expNonPositive(<f64>f32At(scores, first + j) - shift));
  let tail: f64 = 0;
  for (let j = k; j < n; j++) tail += load<f64>(exps + ((<usize>j) << 3));
  let suffix = tail;
  for (let r = k - 1; r >= 0; r--) {
    suffix += load<f64>(exps + ((<usize>r) << 3));
    store<f64>(denominators + ((<usize>r) << 3), suffix);
  }
  let total = sumOfLogs(denominators, k);
  let inverseSum: f64 = 0;
  for (let r = 0; r < k; r++) {
    const denominator = load<f64>(denominators + ((<usize>r) << 3));
    total += shift - <f64>f32At(scores, first + r);
    inverseSum += 1 / denominator;
    addF32(gradient, first + r, scale * (load<f64>(exps + ((<usize>r) << 3)) * inverseSum - 1));
  }
  for (let j = k; j < n; j++) addF32(gradient, first + j, scale * load<f64>(exps + ((<usize>j) << 3)) * inverseSum);
  return total;
}

/**
 * Soft binary cross-entropy over columns first … first + count − 1 of one row, as
 * softBinaryCrossEntropyGradient: Σ softplus(s/T) − (s/T)·σ(t/T) (T² and the mean over entries
 * applied per batch), gradient scale·(σ(s/T) − σ(t/T)) with scale = weight·T/(rows·count).
 */
function softBceRow(
  scores: usize,
  teacherScores: usize,
  gradient: usize,
  first: i32,
  count: i32,
  inverseT: f64,
  scale: f64,
  sigma: usize,
): f64 {
  let total: f64 = 0;
  for (let j = 0; j < count; j++) {
    const x = <f64>f32At(scores, first + j) * inverseT;
    softplusAndSigma(<f64>f32At(teacherScores, first + j) * inverseT, sigma);
    const target = load<f64>(sigma);
    total += softplusAndSigma(x, sigma) - x * target;
    addF32(gradient, first + j, scale * (load<f64>(sigma) - target));
  }
  return total;
}

/**
 * Gives a row's items their slots among the batch's distinct items (`itemCount` so far; returns
 * the new count) and adds its gradient to theirs: g_j · P[u] to item j's row, g_j to its bias.
 */
function scatterItemGradients(params: usize, list: usize, width: i32, itemCount: i32, gradient: usize, pu: usize): i32 {
  const itemSlots = word(params, ITEM_SLOTS);
  const distinctItems = word(params, DISTINCT_ITEMS);
  const itemGradients = word(params, ITEM_GRADIENTS);
  const biases = word(params, BIASES);
  const biasGradients = word(params, BIAS_GRADIENTS);
  const rowBytes = (<usize>(<i32>word(params, DIM))) << 2;
  const vectorBytes = rowBytes & ~15;
  let count = itemCount;
  for (let j = 0; j < width; j++) {
    const item = load<i32>(list + ((<usize>j) << 2));
    let slot = slotOf(itemSlots, distinctItems, count, item, itemGradients, rowBytes);
    if (slot < 0) {
      slot = -1 - slot;
      if (biases !== 0) store<f32>(biasGradients + ((<usize>slot) << 2), 0);
      count++;
    }
    const gj = f32At(gradient, j);
    if (gj === 0) continue;
    addScaled(itemGradients + <usize>slot * rowBytes, pu, gj, rowBytes, vectorBytes);
    if (biases !== 0) {
      const ba = biasGradients + ((<usize>slot) << 2);
      store<f32>(ba, load<f32>(ba) + gj);
    }
  }
  return count;
}

/**
 * Gives a row's items their slots (as scatterItemGradients; returns the new count), writes them
 * at `slots`, and counts each slot's entries at cursors[slot + 1] (for addItemGradients).
 */
function countItemEntries(params: usize, list: usize, width: i32, itemCount: i32, slots: usize, cursors: usize): i32 {
  const itemSlots = word(params, ITEM_SLOTS);
  const distinctItems = word(params, DISTINCT_ITEMS);
  const itemGradients = word(params, ITEM_GRADIENTS);
  const rowBytes = (<usize>(<i32>word(params, DIM))) << 2;
  let count = itemCount;
  for (let j = 0; j < width; j++) {
    let slot = slotOf(itemSlots, distinctItems, count, load<i32>(list + ((<usize>j) << 2)), itemGradients, rowBytes);
    const fresh = slot < 0;
    if (fresh) {
      slot = -1 - slot;
      count++;
    }
    const entries = cursors + ((<usize>(slot + 1)) << 2);
    store<i32>(entries, fresh ? 1 : load<i32>(entries) + 1);
    store<i32>(slots + ((<usize>j) << 2), slot);
  }
  return count;
}

/**
 * The items' gradients of a batch: gradient[slot] += Σ g · P[user] over the batch's entries of
 * each item, bias[slot] += Σ g. A counting sort on the slot lays out each item's entries (user, g)
 * in row order, then each item's sum is one addListRows into its row — the additions in the
 * order a row-by-row scatter makes them, so the same values, but each item's row is written once
 * while the users' rows are read (a scatter of d floats per entry would write lines all over
 * the items' gradients, which at d = 128 no longer fit the cache with Q).
 */
function addItemGradients(
  params: usize,
  first: i32,
  rows: i32,
  width: i32,
  itemCount: i32,
  entrySlots: usize,
  entryGradients: usize,
  cursors: usize,
): void {
  const P = word(params, P_TABLE);
  const users = word(params, USERS);
  const biases = word(params, BIASES);
  const itemGradients = word(params, ITEM_GRADIENTS);
  const biasGradients = word(params, BIAS_GRADIENTS);
  const rowBytes = (<usize>(<i32>word(params, DIM))) << 2;
  const vectorBytes = rowBytes & ~15;
  const entries = rows * width;
  const entryBytes = (<usize>entries) << 2;
  const sortedUsers = entryGradients + entryBytes;
  const sortedGradients = sortedUsers + entryBytes;
  // cursors[s + 1] held slot s's entries (counted as the slots were given): now the entries of
  // slots ≤ s, so that cursors[s] is where slot s starts …
  store<i32>(cursors, 0);
  for (let s = 0; s < itemCount; s++) {
    const at = cursors + ((<usize>(s + 1)) << 2);
    store<i32>(at, load<i32>(at) + load<i32>(at - 4));
  }
  // … then each entry placed at its slot's cursor, which moves on (to where slot s + 1 starts).
  let e = 0;
  for (let r = 0; r < rows; r++) {
    const u = load<i32>(users + ((<usize>(first + r)) << 2));
    for (let j = 0; j < width; j++, e++) {
      const at = cursors + ((<usize>load<i32>(entrySlots + ((<usize>e) << 2))) << 2);
      const place = (<usize>load<i32>(at)) << 2;
      store<i32>(at, load<i32>(at) + 1);
      store<i32>(sortedUsers + place, u);
      store<f32>(sortedGradients + place, load<f32>(entryGradients + ((<usize>e) << 2)));
    }
  }
  let start = 0;
  for (let s = 0; s < itemCount; s++) {
    const end = load<i32>(cursors + ((<usize>s) << 2));
    const count = end - start;
    const from = (<usize>start) << 2;
    const into = itemGradients + <usize>s * rowBytes; // zeroed by slotOf
    addListRows(into, P, rowBytes, vectorBytes, sortedUsers + from, count, sortedGradients + from);
    if (biases !== 0) {
      let sum: f32 = 0;
      for (let k = 0; k < count; k++) sum += load<f32>(sortedGradients + from + ((<usize>k) << 2));
      store<f32>(biasGradients + ((<usize>s) << 2), sum);
    }
    start = end;
  }
}

/**
 * Whole training steps on item lists, one per batch of rows of `width` items, with no call out of
 * the kernel between them: per row, the student's scores P[u]·Q[i] (+ b[i]) and, where a term
 * reads them, the teacher's (looked up in its score table, or its own P·Q + b); then each term
 * of the mixture in order (BPR, soft-label cross-entropy, squared error, ranking distillation,
 * Plackett–Luce, soft binary cross-entropy: the closed forms of `@kdrec/losses`, in f64 like them
 * but for the soft labels' per-column arithmetic, in f32 four columns at a time), adding
 * weight·∂loss/∂s to the row's gradient (terms of weight 0 skipped, as mixtureGradient does); the
 * gradient down to the batch's distinct rows; then lazy Adam on those rows — the steps
 * MatrixFactorization.trainStepWithGradient takes with the mixture's closed form. Per batch,
 * LOSSES gets each term's unweighted loss (NaN for a skipped term). Tables and Adam state are
 * updated in place (Hogwild across threads, as bprBatches).
 *
 * ROW_SCRATCH holds, per row: the student's scores, their gradient (without a BATCH_SCRATCH) and
 * the teacher's scores (f32, `width` each), then from the next 8-byte boundary two f64 rows of
 * `width` (or the soft-label rows: three f32 rows of count + 3), 32 bytes more, the batch's
 * f64 sums per term, an f64 for σ, and from the next 16-byte boundary expNonPositive4's
 * constants (writeExpConstants). BATCH_SCRATCH (given from d = 64: see ITEM_GATHER_FROM_DIM in batch_kernels.ts)
 * holds catalogue + 1 cursors, then four arrays of an entry (row, column) per list item of the
 * batch: its item's slot, its gradient ∂loss/∂s, and (sorted by slot) its user and gradient.
 */
export function listBatches(params: usize): void {
  const P = word(params, P_TABLE);
  const Q = word(params, Q_TABLE);
  const biases = word(params, BIASES);
  const users = word(params, USERS);
  const lists = word(params, LISTS);
  const teacher = word(params, TEACHER);
  const teacherP = word(params, TEACHER_P);
  const teacherQ = word(params, TEACHER_Q);
  const teacherBiases = word(params, TEACHER_BIASES);
  const teacherRowBytes = (<usize>word(params, TEACHER_DIM)) << 2;
  const teacherVectorBytes = teacherRowBytes & ~15;
  const starts = word(params, STARTS);
  const batches = <i32>word(params, BATCHES);
  const dim = <i32>word(params, DIM);
  const width = <i32>word(params, WIDTH);
  const catalogue = <usize>word(params, CATALOGUE);
  const userSlots = word(params, USER_SLOTS);
  const distinctUsers = word(params, DISTINCT_USERS);
  const userGradients = word(params, USER_GRADIENTS);
  const losses = word(params, LOSSES);
  const terms = word(params, TERMS);
  const termCount = <i32>load<f64>(terms);
  const rowBytes = (<usize>dim) << 2;
  const vectorBytes = (<usize>(dim & ~3)) << 2;
  const scores = word(params, ROW_SCRATCH);
  const rowGradient = scores + ((<usize>width) << 2); // without a BATCH_SCRATCH: the row's gradient
  const teacherScores = rowGradient + ((<usize>width) << 2);
  const wide = (teacherScores + ((<usize>width) << 2) + 7) & ~(<usize>7);
  const wideToo = wide + ((<usize>width) << 3);
  const sums = wideToo + ((<usize>width) << 3) + 32; // past the soft-label rows' padding
  const sigma = sums + ((<usize>termCount) << 3);
  const expConstants = (sigma + 8 + 15) & ~(<usize>15);
  writeExpConstants(expConstants);
  const cursors = word(params, BATCH_SCRATCH);
  const gather = cursors !== 0;
  const entrySlots = cursors + ((<usize>catalogue + 1) << 2);
  for (let batch = 0; batch < batches; batch++) {
    const first = load<i32>(starts + ((<usize>batch) << 2));
    const end = load<i32>(starts + ((<usize>(batch + 1)) << 2));
    const rows = end - first;
    const entryBytes = (<usize>(rows * width)) << 2;
    const entryGradients = entrySlots + entryBytes;
    let userCount: i32 = 0;
    let itemCount: i32 = 0;
    memory.fill(sums, 0, (<usize>termCount) << 3);
    for (let r = first; r < end; r++) {
      const u = load<i32>(users + ((<usize>r) << 2));
      const list = lists + ((<usize>r * <usize>width) << 2);
      let us = slotOf(userSlots, distinctUsers, userCount, u, userGradients, rowBytes);
      if (us < 0) {
        us = -1 - us;
        userCount++;
      }
      const pu = P + <usize>u * rowBytes;
      const gradient = gather ? entryGradients + ((<usize>((r - first) * width)) << 2) : rowGradient;
      const slots = entrySlots + ((<usize>((r - first) * width)) << 2);
      const teacherRow = teacher + ((<usize>u * catalogue) << 2);
      const teacherUser = teacherP + <usize>u * teacherRowBytes;
      listDots(pu, Q, rowBytes, vectorBytes, list, width, scores);
      if (teacherP !== 0)
        listDots(teacherUser, teacherQ, teacherRowBytes, teacherVectorBytes, list, width, teacherScores);
      // The teacher's scores in a loop of their own: each a cache miss, as many in flight as can be.
      if (teacher !== 0)
        for (let j = 0; j < width; j++)
          store<f32>(
            teacherScores + ((<usize>j) << 2),
            load<f32>(teacherRow + ((<usize>load<i32>(list + ((<usize>j) << 2))) << 2)),
          );
      for (let j = 0; j < width; j++) {
        const item = <usize>load<i32>(list + ((<usize>j) << 2));
        if (biases !== 0) store<f32>(scores + ((<usize>j) << 2), f32At(scores, j) + load<f32>(biases + (item << 2)));
        store<f32>(gradient + ((<usize>j) << 2), 0);
        if (teacher === 0 && teacherBiases !== 0)
          store<f32>(
            teacherScores + ((<usize>j) << 2),
            f32At(teacherScores, j) + load<f32>(teacherBiases + (item << 2)),
          );
      }
      for (let k = 0; k < termCount; k++) {
        const term = terms + 8 + ((<usize>(k * TERM_WORDS)) << 3);
        const kind = <i32>load<f64>(term);
        const weight = load<f64>(term, 8);
        if (weight === 0) continue;
        const a = <i32>load<f64>(term, 16);
        const b = <i32>load<f64>(term, 24);
        const scale = weight / <f64>rows;
        let loss: f64 = 0;
        if (kind === BPR) loss = bprRow(scores, gradient, a, b, scale, sigma);
        else if (kind === SOFT_LABEL) {
          const t = load<f64>(term, 32);
          loss = softLabelRow(scores, teacherScores, gradient, wide, a, b, 1 / t, scale * t, expConstants);
        } else if (kind === SQUARED_ERROR)
          loss = squaredErrorRow(scores, teacherScores, gradient, width, scale / <f64>width);
        else if (kind === RANKING) {
          const c = <i32>load<f64>(term, 32);
          const at = terms + ((<usize>(<i32>load<f64>(term, 40))) << 3);
          loss = rankingRow(scores, gradient, a, b, c, at, scale, sigma);
        } else if (kind === PLACKETT_LUCE)
          loss = plackettLuceRow(scores, gradient, wide, wideToo, a, b, <i32>load<f64>(term, 32), scale);
        else if (kind === SOFT_BCE) {
          const t = load<f64>(term, 32);
          loss = softBceRow(scores, teacherScores, gradient, a, b, 1 / t, (scale * t) / <f64>b, sigma);
        }
        const sum = sums + ((<usize>k) << 3);
        store<f64>(sum, load<f64>(sum) + loss);
      }
      // The list's gradient down to the rows: the user's, then each item's (every item gets a
      // slot: lazy Adam moves every touched row, zero gradient or not), added row by row or,
      // with a BATCH_SCRATCH, counted for addItemGradients.
      addListRows(userGradients + <usize>us * rowBytes, Q, rowBytes, vectorBytes, list, width, gradient);
      itemCount = gather
        ? countItemEntries(params, list, width, itemCount, slots, cursors)
        : scatterItemGradients(params, list, width, itemCount, gradient, pu);
    }
    if (gather) addItemGradients(params, first, rows, width, itemCount, entrySlots, entryGradients, cursors);
    // Each term's batch loss: its mean over rows (squared error: over entries; soft labels × T²).
    for (let k = 0; k < termCount; k++) {
      const term = terms + 8 + ((<usize>(k * TERM_WORDS)) << 3);
      const kind = <i32>load<f64>(term);
      let value = load<f64>(sums + ((<usize>k) << 3)) / <f64>rows;
      if (kind === SOFT_LABEL) value *= load<f64>(term, 32) * load<f64>(term, 32);
      else if (kind === SOFT_BCE) value *= (load<f64>(term, 32) * load<f64>(term, 32)) / load<f64>(term, 24);
      else if (kind === SQUARED_ERROR) value /= <f64>width;
      if (load<f64>(term, 8) === 0) value = NaN;
      store<f32>(losses + ((<usize>(batch * termCount + k)) << 2), <f32>value);
    }
    adamOnBatchRows(params, batch, rows, userCount, itemCount);
  }
}

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

/**
 * Soft-label cross-entropy over columns first … first + count − 1 of one row, as
 * softLabelGradient: −Σ softmax(t/T) · log softmax(s/T) (T² applied per batch), gradient
 * scale·(softmax(s/T) − softmax(t/T)) with scale = weight·T/rows. Exponentials two at a time.
 */
function softLabelRow(
  scores: usize,
  teacherScores: usize,
  gradient: usize,
  studentExp: usize,
  teacherExp: usize,
  first: i32,
  count: i32,
  inverseT: f64,
  scale: f64,
): f64 {
  // s/T and t/T two at a time (f32 pairs widened), then the odd last one; their maxima.
  const inverseTs = f64x2.splat(inverseT);
  let studentMaxes = f64x2.splat(-Infinity);
  let teacherMaxes = f64x2.splat(-Infinity);
  const pairs = count & ~1;
  for (let j = 0; j < pairs; j += 2) {
    const column = (<usize>(first + j)) << 2;
    const s = f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(scores + column)), inverseTs);
    const v = f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(teacherScores + column)), inverseTs);
    v128.store(studentExp + ((<usize>j) << 3), s);
    v128.store(teacherExp + ((<usize>j) << 3), v);
    studentMaxes = f64x2.max(studentMaxes, s);
    teacherMaxes = f64x2.max(teacherMaxes, v);
  }
  let studentMax = Math.max(f64x2.extract_lane(studentMaxes, 0), f64x2.extract_lane(studentMaxes, 1));
  let teacherMax = Math.max(f64x2.extract_lane(teacherMaxes, 0), f64x2.extract_lane(teacherMaxes, 1));
  if (pairs < count) {
    const s = <f64>f32At(scores, first + pairs) * inverseT;
    const v = <f64>f32At(teacherScores, first + pairs) * inverseT;
    store<f64>(studentExp + ((<usize>pairs) << 3), s);
    store<f64>(teacherExp + ((<usize>pairs) << 3), v);
    studentMax = Math.max(studentMax, s);
    teacherMax = Math.max(teacherMax, v);
  }
  studentMaxes = f64x2.splat(studentMax);
  teacherMaxes = f64x2.splat(teacherMax);
  let studentSums = f64x2.splat(0);
  let teacherSums = f64x2.splat(0);
  for (let j = 0; j < pairs; j += 2) {
    const sa = studentExp + ((<usize>j) << 3);
    const ta = teacherExp + ((<usize>j) << 3);
    const se = expNonPositive2(f64x2.sub(v128.load(sa), studentMaxes));
    const te = expNonPositive2(f64x2.sub(v128.load(ta), teacherMaxes));
    v128.store(sa, se);
    v128.store(ta, te);
    studentSums = f64x2.add(studentSums, se);
    teacherSums = f64x2.add(teacherSums, te);
  }
  let studentSum = f64x2.extract_lane(studentSums, 0) + f64x2.extract_lane(studentSums, 1);
  let teacherSum = f64x2.extract_lane(teacherSums, 0) + f64x2.extract_lane(teacherSums, 1);
  if (pairs < count) {
    const sa = studentExp + ((<usize>pairs) << 3);
    const ta = teacherExp + ((<usize>pairs) << 3);
    const se = expNonPositive(load<f64>(sa) - studentMax);
    const te = expNonPositive(load<f64>(ta) - teacherMax);
    store<f64>(sa, se);
    store<f64>(ta, te);
    studentSum += se;
    teacherSum += te;
  }
  // log Σ = log1p(Σ − 1), exact enough for Σ ≥ 1 (the maximum's term is 1).
  const logStudentSum = Math.log1p(studentSum - 1);
  const perTeacherSum = 1 / teacherSum;
  const perStudentSum = 1 / studentSum;
  // Per item, two at a time: the target, the student's probability, the loss's term with
  // log q = s/T − max − log Σ (s/T recomputed from the stored f32 score), and the gradient added
  // to the f32 row in f64 — each lane the scalar arithmetic, so the same values.
  const perTeacherSums = f64x2.splat(perTeacherSum);
  const perStudentSums = f64x2.splat(perStudentSum);
  const logSums = f64x2.splat(logStudentSum);
  const scales = f64x2.splat(scale);
  let losses = f64x2.splat(0);
  for (let j = 0; j < pairs; j += 2) {
    const column = (<usize>(first + j)) << 2;
    const soft = f64x2.mul(v128.load(teacherExp + ((<usize>j) << 3)), perTeacherSums);
    const probability = f64x2.mul(v128.load(studentExp + ((<usize>j) << 3)), perStudentSums);
    const scaled = f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(scores + column)), inverseTs);
    losses = f64x2.sub(losses, f64x2.mul(soft, f64x2.sub(f64x2.sub(scaled, studentMaxes), logSums)));
    const g = f64x2.add(
      f64x2.promote_low_f32x4(v128.load64_zero(gradient + column)),
      f64x2.mul(scales, f64x2.sub(probability, soft)),
    );
    v128.store64_lane(gradient + column, f32x4.demote_f64x2_zero(g), 0);
  }
  let rowLoss = f64x2.extract_lane(losses, 0) + f64x2.extract_lane(losses, 1);
  if (pairs < count) {
    const soft = load<f64>(teacherExp + ((<usize>pairs) << 3)) * perTeacherSum;
    const probability = load<f64>(studentExp + ((<usize>pairs) << 3)) * perStudentSum;
    const scaled = <f64>f32At(scores, first + pairs) * inverseT;
    rowLoss -= soft * (scaled - studentMax - logStudentSum);
    addF32(gradient, first + pairs, scale * (probability - soft));
  }
  return rowLoss;
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
 * Whole training steps on item lists, one per batch of rows of `width` items, with no call out of
 * the kernel between them: per row, the student's scores P[u]·Q[i] (+ b[i]) and, where a term
 * reads them, the teacher's (looked up in its score table, or its own P·Q + b); then each term
 * of the mixture in order (BPR, soft-label cross-entropy, squared error, ranking distillation,
 * Plackett–Luce, soft binary cross-entropy: the closed forms of `@kdrec/losses`, in f64 like them), adding weight·∂loss/∂s to
 * the row's gradient (terms of weight 0 skipped, as mixtureGradient does); the gradient down to
 * the batch's distinct rows; then lazy Adam on those rows — the steps
 * MatrixFactorization.trainStepWithGradient takes with the mixture's closed form. Per batch,
 * LOSSES gets each term's unweighted loss (NaN for a skipped term). Tables and Adam state are
 * updated in place (Hogwild across threads, as bprBatches).
 *
 * ROW_SCRATCH holds, per row: the student's scores, their gradient and the teacher's scores
 * (f32, `width` each), then from the next 8-byte boundary two f64 rows of `width` and the
 * batch's f64 sums per term.
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
  const itemSlots = word(params, ITEM_SLOTS);
  const distinctUsers = word(params, DISTINCT_USERS);
  const distinctItems = word(params, DISTINCT_ITEMS);
  const userGradients = word(params, USER_GRADIENTS);
  const itemGradients = word(params, ITEM_GRADIENTS);
  const biasGradients = word(params, BIAS_GRADIENTS);
  const losses = word(params, LOSSES);
  const terms = word(params, TERMS);
  const termCount = <i32>load<f64>(terms);
  const rowBytes = (<usize>dim) << 2;
  const vectorBytes = (<usize>(dim & ~3)) << 2;
  const scores = word(params, ROW_SCRATCH);
  const gradient = scores + ((<usize>width) << 2);
  const teacherScores = gradient + ((<usize>width) << 2);
  const wide = (teacherScores + ((<usize>width) << 2) + 7) & ~(<usize>7);
  const wideToo = wide + ((<usize>width) << 3);
  const sums = wideToo + ((<usize>width) << 3);
  const sigma = sums + ((<usize>termCount) << 3);
  for (let batch = 0; batch < batches; batch++) {
    const first = load<i32>(starts + ((<usize>batch) << 2));
    const end = load<i32>(starts + ((<usize>(batch + 1)) << 2));
    const rows = end - first;
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
      const teacherRow = teacher + ((<usize>u * catalogue) << 2);
      const teacherUser = teacherP + <usize>u * teacherRowBytes;
      listDots(pu, Q, rowBytes, vectorBytes, list, width, scores);
      if (teacherP !== 0)
        listDots(teacherUser, teacherQ, teacherRowBytes, teacherVectorBytes, list, width, teacherScores);
      for (let j = 0; j < width; j++) {
        const item = <usize>load<i32>(list + ((<usize>j) << 2));
        if (biases !== 0) store<f32>(scores + ((<usize>j) << 2), f32At(scores, j) + load<f32>(biases + (item << 2)));
        store<f32>(gradient + ((<usize>j) << 2), 0);
        if (teacher !== 0) store<f32>(teacherScores + ((<usize>j) << 2), load<f32>(teacherRow + (item << 2)));
        else if (teacherBiases !== 0)
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
          loss = softLabelRow(scores, teacherScores, gradient, wide, wideToo, a, b, 1 / t, scale * t);
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
      // slot: lazy Adam moves every touched row, zero gradient or not).
      addListRows(userGradients + <usize>us * rowBytes, Q, rowBytes, vectorBytes, list, width, gradient);
      for (let j = 0; j < width; j++) {
        const item = load<i32>(list + ((<usize>j) << 2));
        let slot = slotOf(itemSlots, distinctItems, itemCount, item, itemGradients, rowBytes);
        if (slot < 0) {
          slot = -1 - slot;
          if (biases !== 0) store<f32>(biasGradients + ((<usize>slot) << 2), 0);
          itemCount++;
        }
        const gj = f32At(gradient, j);
        if (gj === 0) continue;
        addScaled(itemGradients + <usize>slot * rowBytes, pu, gj, rowBytes, vectorBytes);
        if (biases !== 0) {
          const ba = biasGradients + ((<usize>slot) << 2);
          store<f32>(ba, load<f32>(ba) + gj);
        }
      }
    }
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

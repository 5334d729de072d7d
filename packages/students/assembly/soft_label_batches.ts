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

// softLabelBatches' own fields of the parameter block (the others: see batch_steps.ts).
const USERS = 9; // per row: its user
const LISTS = 10; // per row: `width` items, [negative, positive, candidates…]
const TEACHER = 11; // the teacher's scores, row-major [users, catalogue]; 0: its factor tables
const WIDTH = 28;
const CATALOGUE = 29; // items per row of the teacher's table
const ROW_SCRATCH = 30; // 24 · width bytes, 8-aligned
const SETTINGS = 31; // three f64: BPR's weight, the soft label's weight, the temperature
const TEACHER_P = 32; // without a score table: the teacher's tables (scores P[u]·Q[i] + b[i])
const TEACHER_Q = 33;
const TEACHER_BIASES = 34; // 0: none
const TEACHER_DIM = 35;

/**
 * Whole soft-label distillation steps, one per batch of rows [negative, positive, n candidates]
 * (n = width − 2), with no call out of the kernel between them: per row, the student's scores
 * P[u]·Q[i] (+ b[i]) and the teacher's (looked up in its score table, or its own P·Q + b), the loss
 * wᵦ·softplus(s⁻ − s⁺) + wₛ·T²·CE(softmax(t/T), softmax(s/T)) over [positive, candidates], its
 * gradient (wᵦ·σ(s⁻ − s⁺) on the pair; wₛ·T·(softmax(s/T) − softmax(t/T)) on the list; over the
 * batch's rows), the gradients of the batch's distinct rows, then lazy Adam on those rows — what
 * MatrixFactorization.trainStepWithGradient takes with the soft-label plan's closed-form mixture
 * (negativeFirstBprTerm + softLabelTerm), in f64 like it. Per batch, LOSSES gets the mean BPR and
 * the mean T²·CE (unweighted). Tables and Adam state are updated in place (Hogwild across
 * threads, as bprBatches).
 */
export function softLabelBatches(params: usize): void {
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
  const settings = word(params, SETTINGS);
  const bprWeight = load<f64>(settings);
  const softWeight = load<f64>(settings + 8);
  const t = load<f64>(settings + 16);
  const inverseT = 1 / t;
  const rowBytes = (<usize>dim) << 2;
  const vectorBytes = (<usize>(dim & ~3)) << 2;
  // Per row: the student's scores and their gradient (f32, as the step-by-step path's arrays),
  // then the student's and the teacher's exponentials over the list (f64).
  const scores = word(params, ROW_SCRATCH);
  const gradient = scores + ((<usize>width) << 2);
  const studentExp = scores + ((<usize>width) << 3);
  const teacherExp = studentExp + ((<usize>width) << 3);
  const count = width - 1; // the positive and the candidates
  for (let batch = 0; batch < batches; batch++) {
    const first = load<i32>(starts + ((<usize>batch) << 2));
    const end = load<i32>(starts + ((<usize>(batch + 1)) << 2));
    const rows = end - first;
    let userCount: i32 = 0;
    let itemCount: i32 = 0;
    let bprTotal: f64 = 0;
    let softTotal: f64 = 0;
    for (let r = first; r < end; r++) {
      const u = load<i32>(users + ((<usize>r) << 2));
      const list = lists + ((<usize>r * <usize>width) << 2);
      let us = slotOf(userSlots, distinctUsers, userCount, u, userGradients, rowBytes);
      if (us < 0) {
        us = -1 - us;
        userCount++;
      }
      const pu = P + <usize>u * rowBytes;
      for (let j = 0; j < width; j++) {
        const item = <usize>load<i32>(list + ((<usize>j) << 2));
        let s = dot(pu, Q + item * rowBytes, rowBytes, vectorBytes);
        if (biases !== 0) s += load<f32>(biases + (item << 2));
        store<f32>(scores + ((<usize>j) << 2), s);
      }
      // BPR on [negative, positive], as rowBprGradient(true).
      const margin = <f64>load<f32>(scores) - <f64>load<f32>(scores + 4);
      const small = expNonPositive(-Math.abs(margin));
      bprTotal += Math.max(margin, 0) + Math.log1p(small);
      const sigma = margin >= 0 ? 1 / (1 + small) : small / (1 + small);
      const g = (bprWeight * sigma) / <f64>rows;
      store<f32>(gradient, <f32>g);
      store<f32>(gradient + 4, <f32>-g);
      for (let j = 2; j < width; j++) store<f32>(gradient + ((<usize>j) << 2), 0);
      // Soft-label cross-entropy over [positive, candidates], as softLabelGradient(1, n + 1, T).
      const teacherRow = teacher + ((<usize>u * catalogue) << 2);
      const teacherUser = teacherP + <usize>u * teacherRowBytes;
      let studentMax = -Infinity;
      let teacherMax = -Infinity;
      for (let j = 0; j < count; j++) {
        const s = <f64>load<f32>(scores + ((<usize>(j + 1)) << 2)) * inverseT;
        const item = <usize>load<i32>(list + ((<usize>(j + 1)) << 2));
        let score: f32;
        if (teacher !== 0) score = load<f32>(teacherRow + (item << 2));
        else {
          score = dot(teacherUser, teacherQ + item * teacherRowBytes, teacherRowBytes, teacherVectorBytes);
          if (teacherBiases !== 0) score += load<f32>(teacherBiases + (item << 2));
        }
        const v = <f64>score * inverseT;
        store<f64>(studentExp + ((<usize>j) << 3), s);
        store<f64>(teacherExp + ((<usize>j) << 3), v);
        studentMax = Math.max(studentMax, s);
        teacherMax = Math.max(teacherMax, v);
      }
      // The exponentials two at a time (the lanes' sums added at the end, then the odd last one).
      const studentMaxes = f64x2.splat(studentMax);
      const teacherMaxes = f64x2.splat(teacherMax);
      let studentSums = f64x2.splat(0);
      let teacherSums = f64x2.splat(0);
      let j = 0;
      for (; j + 1 < count; j += 2) {
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
      if (j < count) {
        const sa = studentExp + ((<usize>j) << 3);
        const ta = teacherExp + ((<usize>j) << 3);
        const se = expNonPositive(load<f64>(sa) - studentMax);
        const te = expNonPositive(load<f64>(ta) - teacherMax);
        store<f64>(sa, se);
        store<f64>(ta, te);
        studentSum += se;
        teacherSum += te;
      }
      // log(Σ) = log1p(Σ − 1), exact enough for Σ ≥ 1 (the maximum's term is 1); Math.log reads
      // a table from static data, which the arena would overwrite.
      const logStudentSum = Math.log1p(studentSum - 1);
      let rowLoss: f64 = 0;
      const perTeacherSum = 1 / teacherSum;
      const perStudentSum = 1 / studentSum;
      const scale = (softWeight * t) / <f64>rows;
      for (let j = 0; j < count; j++) {
        const soft = load<f64>(teacherExp + ((<usize>j) << 3)) * perTeacherSum;
        const probability = load<f64>(studentExp + ((<usize>j) << 3)) * perStudentSum;
        // log q = s/T − max − log Σ, with s/T recomputed from the stored f32 score.
        const scaled = <f64>load<f32>(scores + ((<usize>(j + 1)) << 2)) * inverseT;
        rowLoss -= soft * (scaled - studentMax - logStudentSum);
        const ga = gradient + ((<usize>(j + 1)) << 2);
        store<f32>(ga, <f32>(<f64>load<f32>(ga) + scale * (probability - soft)));
      }
      softTotal += rowLoss;
      // The list's gradient down to the rows, item by item (every item gets a slot: lazy Adam
      // moves every touched row, zero gradient or not).
      const gu = userGradients + <usize>us * rowBytes;
      for (let j = 0; j < width; j++) {
        const item = load<i32>(list + ((<usize>j) << 2));
        let slot = slotOf(itemSlots, distinctItems, itemCount, item, itemGradients, rowBytes);
        if (slot < 0) {
          slot = -1 - slot;
          if (biases !== 0) store<f32>(biasGradients + ((<usize>slot) << 2), 0);
          itemCount++;
        }
        const gj = load<f32>(gradient + ((<usize>j) << 2));
        if (gj === 0) continue;
        addScaled(gu, Q + <usize>item * rowBytes, gj, rowBytes, vectorBytes);
        addScaled(itemGradients + <usize>slot * rowBytes, pu, gj, rowBytes, vectorBytes);
        if (biases !== 0) {
          const ba = biasGradients + ((<usize>slot) << 2);
          store<f32>(ba, load<f32>(ba) + gj);
        }
      }
    }
    store<f32>(losses + ((<usize>batch) << 3), <f32>(bprTotal / <f64>rows));
    store<f32>(losses + ((<usize>batch) << 3) + 4, <f32>((t * t * softTotal) / <f64>rows));
    adamOnBatchRows(params, batch, rows, userCount, itemCount);
  }
}

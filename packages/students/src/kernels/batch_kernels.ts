import type { PairwiseBatch } from "@kdrec/data";
import type { ListEpoch } from "@kdrec/model-kit";
import type { KernelPool } from "../kernel_pool.js";
import { pointer, type RowArena, type RowKernelExports } from "../row_arena.js";

/** An MF's tables and their Adam moments (m, v), as views of its arena. */
export interface TrainingTables {
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  readonly itemBiases: Float32Array | undefined;
  readonly userMoments: readonly [Float32Array, Float32Array];
  readonly itemMoments: readonly [Float32Array, Float32Array];
  readonly biasMoments: readonly [Float32Array, Float32Array] | undefined;
}

/** What every whole-batch kernel trains with: the model, and Adam's settings per batch. */
export interface BatchTraining {
  readonly tables: TrainingTables;
  readonly users: number;
  readonly items: number;
  readonly dim: number;
  /** Per batch, in order: the learning rate with Adam's bias correction for its step. */
  readonly rates: Float32Array;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly l2: number;
}

/**
 * How one kernel reads its batches: the kernel-specific words of its parameter block (see
 * `assembly/batch_steps.ts`), filled from the batches of one thread's share.
 */
interface KernelInputs<B> {
  readonly kernel: "bprBatches" | "listBatches";
  /** Rows per batch, known before the batches are (they may be made as the run reaches them). */
  readonly batchRows: ReadonlyArray<number>;
  /** Batch `k` (asked for once each, in order). */
  readonly batch: (k: number) => B;
  /** Batches per group: each group's inputs are copied in, run, and their room reused. */
  readonly group: number;
  /** Items a row touches (the bound on a batch's distinct items is rows × this). */
  readonly itemsPerRow: number;
  /** Loss values per batch that the kernel writes. */
  readonly lossesPerBatch: number;
  /** Read-only arrays every thread reads (a teacher's scores or tables), placed once (absent: 0). */
  readonly shared: ReadonlyArray<Float32Array | undefined>;
  /** 32-bit lengths of a thread's own inputs for `rows` rows in all, `batchRows` at most per batch. */
  readonly ownLengths: (rows: number, batchRows: number) => number[];
  /**
   * Writes a share's batches into the thread's own inputs (byte offsets `own`, in
   * `ownLengths`' order) and returns the kernel's own words: [field, value] pairs.
   */
  readonly fill: (
    arena: RowArena,
    batches: ReadonlyArray<B>,
    own: ReadonlyArray<number>,
    shared: ReadonlyArray<number>,
  ) => ReadonlyArray<readonly [number, number]>;
}

// The parameter block's words, as assembly/*_batches.ts read them.
const PARAMETER_WORDS = 37;

/**
 * Runs a whole-batch kernel over every batch in `arena`: on one thread (no pool: the arena's own
 * kernels), or dealt in turn to a pool's threads (`arena` is then the pool's; Hogwild). Tables
 * that live elsewhere are copied into the arena for the run and back after it. Each thread gets
 * its parameter block, its share of each group's batches and its scratch (slot tables of every
 * row, the batch's row gradients). Returns the losses, `lossesPerBatch` per batch.
 */
const runBatchKernel = <B>(
  arena: RowArena,
  kernels: RowKernelExports | undefined,
  pool: KernelPool | undefined,
  a: BatchTraining,
  k: KernelInputs<B>,
): Float32Array => {
  const count = k.batchRows.length;
  const threads = pool === undefined ? 1 : Math.max(1, Math.min(pool.threads, count));
  const group = Math.max(threads, Math.min(k.group, count));
  const largest = k.batchRows.reduce((n, rows) => Math.max(n, rows), 0);
  const distinctItems = Math.min(a.items, largest * k.itemsPerRow);
  // Thread t takes batches t, t + threads, … of each group (the threads move through it together).
  const perThread = Math.ceil(group / threads);
  const shareRows = perThread * largest;
  const threadLengths = [
    PARAMETER_WORDS,
    perThread + 1, // starts
    perThread, // rates
    perThread * k.lossesPerBatch,
    a.users, // slots
    a.items,
    largest, // distinct rows
    distinctItems,
    largest * a.dim, // row gradients
    distinctItems * a.dim,
    distinctItems,
    ...k.ownLengths(shareRows, largest),
  ];
  const { tables } = a;
  const tableList = [
    tables.userFactors,
    tables.itemFactors,
    tables.itemBiases,
    ...tables.userMoments,
    ...tables.itemMoments,
    ...(tables.biasMoments ?? [undefined, undefined]),
  ];
  const inPlace = arena.kernelsFor(...tableList) !== undefined;
  // Offsets taken before the scratch space is made: growing an ordinary memory detaches views.
  const inArena = tableList.map((t) => pointer(t));
  const copies = inPlace ? [] : tableList.map((t) => t?.length ?? 0);
  const at = arena.scratch([
    ...Array.from({ length: threads }, () => threadLengths).flat(),
    ...k.shared.map((s) => s?.length ?? 0),
    ...copies,
  ]);
  const per = threadLengths.length;
  const sharedAt = k.shared.map((s, j) => {
    if (s === undefined) return 0;
    const offset = at[threads * per + j]!;
    arena.f32(offset, s.length).set(s);
    return offset;
  });
  const places = inPlace
    ? inArena
    : tableList.map((t, j) => {
        if (t === undefined) return 0;
        const offset = at[threads * per + k.shared.length + j]!;
        arena.f32(offset, t.length).set(t);
        return offset;
      });
  for (let t = 0; t < threads; t++) {
    const o = (field: number) => at[t * per + field]!;
    arena.i32(o(4), a.users).fill(-1);
    arena.i32(o(5), a.items).fill(-1);
  }
  const losses = new Float32Array(count * k.lossesPerBatch);
  try {
    for (let start = 0; start < count; start += group) {
      const batches = Array.from({ length: Math.min(group, count - start) }, (_, j) => k.batch(start + j));
      const calls = Array.from({ length: Math.min(threads, batches.length) }, (_, t) => {
        const o = (field: number) => at[t * per + field]!;
        const share = batches.flatMap((batch, j) => (j % threads === t ? [{ batch, k: start + j }] : []));
        const starts = arena.i32(o(1), share.length + 1);
        const rates = arena.f32(o(2), share.length);
        let end = 0;
        share.forEach(({ k: index }, j) => {
          starts[j] = end;
          rates[j] = a.rates[index]!;
          end += k.batchRows[index]!;
        });
        starts[share.length] = end;
        const own = k.ownLengths(shareRows, largest).map((_, j) => o(11 + j));
        const ownWords = k.fill(
          arena,
          share.map(({ batch }) => batch),
          own,
          sharedAt,
        );
        const words = arena.i32(o(0), PARAMETER_WORDS);
        const floats = arena.f32(o(0), PARAMETER_WORDS);
        words.set(places.slice(0, 9));
        words.set([o(1), share.length, a.dim, o(2)], 12);
        floats.set([a.beta1, a.beta2, a.epsilon, a.l2], 16);
        words.set([o(4), o(5), o(6), o(7), o(8), o(9), o(10), o(3)], 20);
        for (const [field, value] of ownWords) words[field] = value;
        return { parameters: o(0), losses: o(3), share };
      });
      if (pool !== undefined)
        pool.run(
          k.kernel,
          calls.map(({ parameters }) => [parameters]),
        );
      else kernels![k.kernel](calls[0]!.parameters);
      for (const { losses: out, share } of calls) {
        const values = arena.f32(out, share.length * k.lossesPerBatch);
        share.forEach(({ k: index }, j) => {
          losses.set(values.subarray(j * k.lossesPerBatch, (j + 1) * k.lossesPerBatch), index * k.lossesPerBatch);
        });
      }
    }
  } finally {
    // Tables trained in a pool's memory come back even when a later batch was refused.
    if (!inPlace)
      tableList.forEach((t, j) => {
        t?.set(arena.f32(places[j]!, t.length));
      });
  }
  return losses;
};

/**
 * Runs the BPR steps of `batches` with the `bprBatches` kernel in `arena` (see
 * {@link runBatchKernel}). Returns each batch's mean loss.
 */
export const bprBatchesInArena = (
  arena: RowArena,
  kernels: RowKernelExports | undefined,
  pool: KernelPool | undefined,
  a: BatchTraining & { readonly batches: ReadonlyArray<PairwiseBatch> },
): Float32Array =>
  runBatchKernel(arena, kernels, pool, a, {
    kernel: "bprBatches",
    batchRows: a.batches.map((b) => b.users.length),
    batch: (k) => a.batches[k]!,
    group: a.batches.length,
    itemsPerRow: 2,
    lossesPerBatch: 1,
    shared: [],
    ownLengths: (rows) => [rows, rows, rows],
    fill: (arena, batches, [users, positives, negatives]) => {
      let end = 0;
      for (const batch of batches) {
        arena.i32(users!, end + batch.users.length).set(batch.users, end);
        arena.i32(positives!, end + batch.users.length).set(batch.positives, end);
        arena.i32(negatives!, end + batch.users.length).set(batch.negatives, end);
        end += batch.users.length;
      }
      return [
        [9, users!],
        [10, positives!],
        [11, negatives!],
      ];
    },
  });

// Batches per thread whose lists are in the arena at once (about 0.4 MB each at width 102).
const LIST_GROUP = 8;

/**
 * From this dimension on, the list kernel sums a batch's item gradients item by item (sorting the
 * batch's entries by item) rather than scattering them row by row. Soft-label epochs of ML-100K's
 * shape, one thread, builds alternated, median ms: d = 128 about 810 against 930 (uniform lists);
 * with the bench's lists d = 64 about 8% less, d = 32 the same, and d = 8 320 against 250, where
 * the sort costs more than it saves.
 */
const ITEM_GATHER_FROM_DIM = 64;

// The list kernel's row scratch ends with expNonPositive4's 13 constant vectors (writeExpConstants)
// on a 16-byte boundary: their words and up to 4 of alignment.
const EXP_CONSTANT_WORDS = 13 * 4 + 4;

// Each term's words in the kernel's term block (f64): kind, weight, then its settings.
const TERM_WORDS = 8;
const TERM_KINDS = {
  bpr: 0,
  "soft-label": 1,
  "squared-error": 2,
  ranking: 3,
  "plackett-luce": 4,
  "soft-bce": 5,
} as const;

/**
 * The `listBatches` kernel's term block: the count, then per term [kind, weight, settings…], then
 * the ranking terms' rank weights (each term points to its own).
 */
const termBlock = (terms: ListEpoch["terms"]): Float64Array => {
  const rankWeights = terms.reduce((n, { term }) => n + (term.kind === "ranking" ? term.rankWeights.length : 0), 0);
  const block = new Float64Array(1 + TERM_WORDS * terms.length + rankWeights);
  block[0] = terms.length;
  let extra = 1 + TERM_WORDS * terms.length;
  terms.forEach(({ term, weight }, k) => {
    const settings = (() => {
      switch (term.kind) {
        case "bpr":
          return [term.positive, term.negative];
        case "soft-label":
        case "soft-bce":
          return [term.first, term.count, term.temperature];
        case "squared-error":
          return [];
        case "ranking":
          block.set(term.rankWeights, extra);
          extra += term.rankWeights.length;
          return [term.first, term.rankWeights.length, term.negative, extra - term.rankWeights.length];
        case "plackett-luce":
          return [term.first, term.count, term.below];
      }
    })();
    block.set([TERM_KINDS[term.kind], weight, ...settings], 1 + TERM_WORDS * k);
  });
  return block;
};

/**
 * Runs the steps of an epoch of item lists with the `listBatches` kernel in `arena` (see
 * {@link runBatchKernel}): the teacher's score table (or its factor tables) is copied in once, the
 * lists a few batches at a time. Returns, per batch, each term's unweighted loss (NaN for a term
 * of weight 0), batch-major.
 */
export const listBatchesInArena = (
  arena: RowArena,
  kernels: RowKernelExports | undefined,
  pool: KernelPool | undefined,
  a: BatchTraining & ListEpoch,
): Float32Array => {
  const terms = termBlock(a.terms);
  const teacher = a.teacher;
  const gather = a.dim >= ITEM_GATHER_FROM_DIM;
  return runBatchKernel(arena, kernels, pool, a, {
    kernel: "listBatches",
    batchRows: a.batchRows,
    batch: a.lists,
    group: LIST_GROUP * (pool?.threads ?? 1),
    itemsPerRow: a.width,
    lossesPerBatch: a.terms.length,
    shared:
      teacher === undefined
        ? [undefined, undefined, undefined, undefined]
        : "table" in teacher
          ? [teacher.table, undefined, undefined, undefined]
          : [undefined, teacher.factors.userFactors, teacher.factors.itemFactors, teacher.factors.itemBiases],
    // users, lists, the row scratch and the batch scratch (see assembly/list_batches.ts), the term block (f64)
    ownLengths: (rows, batchRows) => [
      rows,
      rows * a.width,
      7 * a.width + 2 * a.terms.length + 12 + EXP_CONSTANT_WORDS,
      gather ? a.items + 1 + 4 * batchRows * a.width : 0,
      2 * terms.length,
    ],
    fill: (
      arena,
      batches,
      [users, lists, scratch, batchScratch, block],
      [table, teacherP, teacherQ, teacherBiases],
    ) => {
      let end = 0;
      for (const batch of batches) {
        const rows = batch.users.length;
        if (batch.width !== a.width || batch.items.length !== rows * a.width)
          throw new RangeError(`listBatches: lists of width ${batch.width} where ${a.width} was given`);
        arena.i32(users!, end + rows).set(batch.users, end);
        arena.i32(lists!, (end + rows) * a.width).set(batch.items, end * a.width);
        end += rows;
      }
      new Float64Array(arena.memory.buffer, block!, terms.length).set(terms);
      return [
        [9, users!],
        [10, lists!],
        [11, table!],
        [28, a.width],
        [29, a.items],
        [30, scratch!],
        [31, block!],
        [32, teacherP!],
        [33, teacherQ!],
        [34, teacherBiases!],
        [35, teacher !== undefined && "factors" in teacher ? teacher.factors.dim : 0],
        [36, gather ? batchScratch! : 0],
      ];
    },
  });
};

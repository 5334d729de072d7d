import type { PairwiseBatch } from "@kdrec/data";
import type { KernelPool } from "../kernel_pool.js";
import type { RowArena, RowKernelExports } from "../row_arena.js";

/** Byte offsets of an MF's tables and Adam state in its arena (bias ones 0 without biases). */
export interface BprTables {
  readonly userFactors: number;
  readonly itemFactors: number;
  readonly itemBiases: number;
  readonly userMoments: readonly [number, number];
  readonly itemMoments: readonly [number, number];
  readonly biasMoments: readonly [number, number];
}

/** What {@link bprBatchesInArena} trains with. */
export interface BprBatchesArgs {
  readonly tables: BprTables;
  readonly users: number;
  readonly items: number;
  readonly dim: number;
  readonly batches: ReadonlyArray<PairwiseBatch>;
  /** Per batch (in `batches` order): the learning rate with Adam's bias correction for its step. */
  readonly rates: Float32Array;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly l2: number;
}

// The parameter block's words, as assembly/bpr_batches.ts reads them.
const PARAMETER_WORDS = 28;

/**
 * Runs the BPR steps of `batches` with the `bprBatches` kernel: on one thread (`threads` 1, the
 * arena's own kernels), or dealt in turn to a pool's threads over the pool's shared arena
 * (Hogwild). Each thread gets its parameter block, its run of triples and its scratch (slot
 * tables of every row, the batch's row gradients). Returns each batch's mean loss.
 */
export const bprBatchesInArena = (
  arena: RowArena,
  kernels: RowKernelExports | undefined,
  pool: KernelPool | undefined,
  a: BprBatchesArgs,
): Float32Array => {
  const threads = pool === undefined ? 1 : Math.max(1, Math.min(pool.threads, a.batches.length));
  const largest = a.batches.reduce((n, b) => Math.max(n, b.users.length), 0);
  // Thread t takes batches t, t + threads, … (both halves move through the epoch together).
  const shares = Array.from({ length: threads }, (_, t) =>
    a.batches.flatMap((batch, k) => (k % threads === t ? [{ batch, k }] : [])),
  );
  const lengths = shares.flatMap((share) => {
    const triples = share.reduce((n, { batch }) => n + batch.users.length, 0);
    return [
      PARAMETER_WORDS,
      triples,
      triples,
      triples,
      share.length + 1,
      share.length,
      share.length,
      a.users,
      a.items,
      largest,
      2 * largest,
      largest * a.dim,
      2 * largest * a.dim,
      2 * largest,
    ];
  });
  const at = arena.scratch(lengths);
  const per = 14;
  const calls = shares.map((share, t) => {
    const o = (k: number) => at[t * per + k]!;
    const triples = share.reduce((n, { batch }) => n + batch.users.length, 0);
    const [users, positives, negatives] = [1, 2, 3].map((k) => arena.i32(o(k), triples));
    const starts = arena.i32(o(4), share.length + 1);
    const rates = arena.f32(o(5), share.length);
    let end = 0;
    share.forEach(({ batch, k }, j) => {
      starts[j] = end;
      users!.set(batch.users, end);
      positives!.set(batch.positives, end);
      negatives!.set(batch.negatives, end);
      rates[j] = a.rates[k]!;
      end += batch.users.length;
    });
    starts[share.length] = end;
    arena.i32(o(7), a.users).fill(-1);
    arena.i32(o(8), a.items).fill(-1);
    const words = arena.i32(o(0), PARAMETER_WORDS);
    const floats = arena.f32(o(0), PARAMETER_WORDS);
    const { tables } = a;
    words.set([
      tables.userFactors,
      tables.itemFactors,
      tables.itemBiases,
      ...tables.userMoments,
      ...tables.itemMoments,
      ...tables.biasMoments,
      o(1),
      o(2),
      o(3),
      o(4),
      share.length,
      a.dim,
      o(5),
    ]);
    floats.set([a.beta1, a.beta2, a.epsilon, a.l2], 16);
    words.set([o(7), o(8), o(9), o(10), o(11), o(12), o(13), o(6)], 20);
    return { parameters: o(0), losses: o(6), share };
  });
  if (pool !== undefined)
    pool.run(
      "bprBatches",
      calls.map(({ parameters }) => [parameters]),
    );
  else kernels!.bprBatches(calls[0]!.parameters);
  const losses = new Float32Array(a.batches.length);
  for (const { losses: out, share } of calls) {
    const values = arena.f32(out, share.length);
    share.forEach(({ k }, j) => {
      losses[k] = values[j]!;
    });
  }
  return losses;
};

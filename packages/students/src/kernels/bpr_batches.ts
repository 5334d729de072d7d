import type { PairwiseBatch } from "@kdrec/data";
import type { KernelPool } from "../kernel_pool.js";
import { pointer, type RowArena, type RowKernelExports } from "../row_arena.js";

/** An MF's tables and their Adam moments (m, v), as views of its arena. */
export interface BprTables {
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  readonly itemBiases: Float32Array | undefined;
  readonly userMoments: readonly [Float32Array, Float32Array];
  readonly itemMoments: readonly [Float32Array, Float32Array];
  readonly biasMoments: readonly [Float32Array, Float32Array] | undefined;
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
 * Runs the BPR steps of `batches` with the `bprBatches` kernel in `arena`: on one thread (no pool:
 * the arena's own kernels), or dealt in turn to a pool's threads (`arena` is then the pool's;
 * Hogwild). Tables that live elsewhere are copied into the arena for the epoch and back after it.
 * Each thread gets its parameter block, its run of triples and its scratch (slot tables of every
 * row, the batch's row gradients). Returns each batch's mean loss.
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
  const tripleCounts = shares.map((share) => share.reduce((n, { batch }) => n + batch.users.length, 0));
  // Each thread's arrays, in the order the calls below read them (`o(k)`).
  const lengths = shares.flatMap((share, t) => {
    const triples = tripleCounts[t]!;
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
  // The tables and moments, in the order of `tableList`; copied in when not in this arena.
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
  const at = arena.scratch([...lengths, ...copies]);
  const per = lengths.length / shares.length;
  const places = inPlace
    ? inArena
    : tableList.map((t, j) => {
        if (t === undefined) return 0;
        const offset = at[shares.length * per + j]!;
        arena.f32(offset, t.length).set(t);
        return offset;
      });
  const calls = shares.map((share, t) => {
    const o = (k: number) => at[t * per + k]!;
    const triples = tripleCounts[t]!;
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
    words.set([...places, o(1), o(2), o(3), o(4), share.length, a.dim, o(5)]);
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
  if (!inPlace)
    tableList.forEach((t, j) => {
      t?.set(arena.f32(places[j]!, t.length));
    });
  const losses = new Float32Array(a.batches.length);
  for (const { losses: out, share } of calls) {
    const values = arena.f32(out, share.length);
    share.forEach(({ k }, j) => {
      losses[k] = values[j]!;
    });
  }
  return losses;
};

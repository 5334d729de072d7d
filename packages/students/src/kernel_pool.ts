/**
 * Running the row kernels on more than one thread: a pool of helper threads that share one
 * arena's memory. The contract is platform-neutral; `@kdrec/students/node` makes pools of worker
 * threads ({@link KernelPool}).
 * @module
 */
import type { TrainingThreads } from "@kdrec/model-kit";
import type { RowArena, RowKernelExports } from "./row_arena.js";

/**
 * Threads that run the row kernels over one shared {@link RowArena}: a call's arrays go in
 * {@link KernelPool.arena}, then {@link KernelPool.run} runs one kernel call per thread (the
 * first on the calling thread) and returns when all are done. Each call must write to memory no
 * other call of the same run touches.
 * @example
 * ```ts
 * const pool = await startKernelPool({ threads: 2 }); // from "@kdrec/students/node"
 * const top = mf.topK(users, 10, userItemSets(split.train), { pool }); // users split over 2 threads
 * await pool.close();
 * ```
 * @category Optimizers
 */
export interface KernelPool extends TrainingThreads {
  /** Threads a run can use, the calling thread included. */
  readonly threads: number;
  /** The shared arena the kernels of a run read and write. */
  readonly arena: RowArena;
  /** Runs `kernel` once per argument list (at most {@link KernelPool.threads}) in parallel. */
  run(kernel: keyof RowKernelExports, calls: ReadonlyArray<ReadonlyArray<number>>): void;
  /** Stops the helper threads; the pool cannot run afterwards. */
  close(): Promise<void>;
}

/**
 * The most threads a {@link KernelPool} starts (`kdrec run --threads` refuses more before anything
 * is written).
 * @category Optimizers
 */
export const MAX_POOL_THREADS = 64;

/**
 * Whether training threads are a {@link KernelPool} (what MF can train on).
 * @category Optimizers
 */
export const isKernelPool = (threads: TrainingThreads): threads is KernelPool =>
  typeof (threads as Partial<KernelPool>).run === "function" && (threads as Partial<KernelPool>).arena !== undefined;

/** `[start, end)` of part `part` of `count` items split into `parts` nearly equal runs. */
export const partOf = (count: number, parts: number, part: number): readonly [number, number] => [
  Math.floor((count * part) / parts),
  Math.floor((count * (part + 1)) / parts),
];

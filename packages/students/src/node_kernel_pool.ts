/**
 * A {@link KernelPool} of Node worker threads. Each helper instantiates the kernel module over the
 * pool's shared memory once, then sleeps on a control word (`Atomics.wait`); a run writes each
 * helper's kernel and arguments into its control block, wakes it, does its own share, and waits
 * for the helpers to finish. No message passing per run; both sides spin briefly before they
 * sleep, because waking a sleeping thread takes about a millisecond on this kind of machine. A
 * kernel with a native stand-in registered (an arena kernel with its source, e.g. the list kernel
 * of `@kdrec/native-kernels`) runs it on every thread, the helpers loading it when they start.
 * @module
 */
import { Worker } from "node:worker_threads";
import { arenaKernel, arenaKernelSource } from "@kdrec/core";
import { type KernelPool, MAX_POOL_THREADS } from "./kernel_pool.js";
import { kernelModule, RowArena, type RowKernelExports } from "./row_arena.js";

const KERNELS: ReadonlyArray<keyof RowKernelExports> = [
  "listScores",
  "rowGradients",
  "scoreTopK",
  "selectTopK",
  "adamRows",
  "bprBatches",
  "listBatches",
];
const MAX_ARGUMENTS = 16;
// Control block of one helper: Int32 words, then the arguments as Float64 (exact for i32 and f32).
const REQUEST = 0; // the run number the caller asks for (the helper sleeps while it is unchanged)
const KERNEL = 1; // index into KERNELS, -1 to stop
const ARGUMENTS = 2; // how many arguments
const DONE = 3; // the last run number the helper finished
const FAILED = 4; // 1 when that run threw
const NATIVE = 5; // 1: run the kernel's native stand-in (an arena kernel) where the helper has it
const CONTROL_BYTES = 32 + 8 * MAX_ARGUMENTS;
// How long a helper looks for the next run before it sleeps, and the caller for its helpers'
// completion before it sleeps (ms).
const SPIN_MS = 2;

// The helper's whole program (CommonJS, run with `eval`): no module of ours to resolve.
const HELPER = `
const { workerData } = require("node:worker_threads");
const { memory, module, control, kernels, natives } = workerData;
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
// Native stand-ins of kernels (arena kernels, from their addons); a kernel whose addon does not
// load here runs in WebAssembly (the same values).
const standIns = {};
for (const [kernel, source] of Object.entries(natives)) {
  try {
    standIns[kernel] = require(source.module)[source.name];
  } catch {}
}
const words = new Int32Array(control, 0, 8);
const args = new Float64Array(control, 32, ${MAX_ARGUMENTS});
let seen = 0;
for (;;) {
  // Spin a while before sleeping: runs often come in a series, and waking a sleeping thread
  // costs about a millisecond on a virtual machine, as much as a run.
  const spinUntil = performance.now() + ${SPIN_MS};
  while (Atomics.load(words, ${REQUEST}) === seen && performance.now() < spinUntil);
  Atomics.wait(words, ${REQUEST}, seen);
  seen = Atomics.load(words, ${REQUEST});
  const kernel = words[${KERNEL}];
  if (kernel < 0) break;
  let failed = 0;
  try {
    const name = kernels[kernel];
    const given = args.subarray(0, words[${ARGUMENTS}]);
    if (words[${NATIVE}] === 1 && standIns[name] !== undefined) standIns[name](new Uint8Array(memory.buffer), ...given);
    else exports[name](...given);
  } catch {
    failed = 1;
  }
  words[${FAILED}] = failed;
  Atomics.store(words, ${DONE}, seen);
  Atomics.notify(words, ${DONE});
}
`;

interface Helper {
  readonly worker: Worker;
  readonly words: Int32Array;
  readonly args: Float64Array;
}

/**
 * Starts a pool of `threads` threads (default 2: the caller and one worker) over a new shared
 * arena. Needs WebAssembly SIMD; `close()` stops the workers (they do not keep the process alive).
 * @example
 * ```ts
 * const pool = await startKernelPool({ threads: 2 });
 * const top = mf.topK(users, 10, seen, { pool });
 * await pool.close();
 * ```
 * @category Optimizers
 */
export const startKernelPool = async (options: { readonly threads?: number } = {}): Promise<KernelPool> => {
  const threads = options.threads ?? 2;
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= MAX_POOL_THREADS))
    throw new RangeError(
      `startKernelPool: threads must be a positive integer up to ${MAX_POOL_THREADS}, got ${threads}`,
    );
  const module = kernelModule(true);
  if (module === null) throw new Error("startKernelPool: this engine cannot run the WebAssembly SIMD kernels");
  const arena = RowArena.create({ shared: true });
  const own = arena.kernelsFor()!;
  // The arena kernels registered now (with where a thread finds them) go to the helpers too.
  const natives = Object.fromEntries(
    KERNELS.flatMap((kernel) => {
      const source = arenaKernelSource(kernel);
      return source === undefined ? [] : [[kernel, source]];
    }),
  );
  const helpers: Helper[] = await Promise.all(
    Array.from({ length: threads - 1 }, async () => {
      const control = new SharedArrayBuffer(CONTROL_BYTES);
      const worker = new Worker(HELPER, {
        eval: true,
        workerData: { memory: arena.memory, module, control, kernels: KERNELS, natives },
      });
      await new Promise<void>((resolve, reject) => {
        worker.once("online", resolve);
        worker.once("error", reject);
      });
      // Asleep between runs, a helper must not keep the process alive.
      worker.unref();
      return { worker, words: new Int32Array(control, 0, 8), args: new Float64Array(control, 32, MAX_ARGUMENTS) };
    }),
  );
  let runs = 0;
  let closed = false;
  const wake = (helper: Helper, kernel: number, args: ReadonlyArray<number>, run: number, native: boolean) => {
    helper.args.set(args);
    helper.words[KERNEL] = kernel;
    helper.words[ARGUMENTS] = args.length;
    helper.words[NATIVE] = native ? 1 : 0;
    Atomics.store(helper.words, REQUEST, run);
    Atomics.notify(helper.words, REQUEST);
  };
  return {
    threads,
    arena,
    run: (kernel, calls) => {
      if (closed) throw new Error("KernelPool.run: the pool is closed");
      if (calls.length > threads) throw new RangeError(`KernelPool.run: ${calls.length} calls for ${threads} threads`);
      if (calls.some((args) => args.length > MAX_ARGUMENTS))
        throw new RangeError(`KernelPool.run: at most ${MAX_ARGUMENTS} arguments per call`);
      const index = KERNELS.indexOf(kernel);
      if (index < 0) throw new RangeError(`KernelPool.run: no kernel ${kernel} on the helpers`);
      const run = ++runs;
      // The helpers run a native stand-in where it is registered now (and was when the pool
      // started); the caller's own call runs what its arena's kernels run (the stand-in while it
      // is registered). Either way the same values.
      const native = Object.hasOwn(natives, kernel) && arenaKernel(kernel) !== undefined;
      const used = helpers.slice(0, Math.max(0, calls.length - 1));
      used.forEach((helper, h) => {
        wake(helper, index, calls[h + 1]!, run, native);
      });
      // The helpers are waited for even when the caller's own call throws: none may still be
      // writing when run returns.
      let failure: unknown;
      try {
        if (calls.length > 0) (own[kernel] as (...args: number[]) => void)(...calls[0]!);
      } catch (error) {
        failure = error;
      }
      for (const helper of used) {
        const spinUntil = performance.now() + SPIN_MS;
        while (Atomics.load(helper.words, DONE) !== run && performance.now() < spinUntil);
        for (let done = Atomics.load(helper.words, DONE); done !== run; done = Atomics.load(helper.words, DONE))
          Atomics.wait(helper.words, DONE, done);
      }
      if (failure !== undefined) throw failure;
      if (used.some((helper) => helper.words[FAILED] === 1))
        throw new Error(`KernelPool.run: ${kernel} failed on a helper thread`);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all(
        helpers.map(async (helper) => {
          // Referenced again, so that the process waits for the exit it is told of.
          helper.worker.ref();
          const exited = new Promise<void>((resolve) => helper.worker.once("exit", () => resolve()));
          wake(helper, -1, [], ++runs, false);
          await exited;
        }),
      );
    },
  };
};

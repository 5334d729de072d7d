/**
 * Where sparse training keeps its tables: one WebAssembly memory per model, so that the row
 * kernels (WebAssembly SIMD, compiled from `assembly/`) work on the tables in place, with no copy
 * per step. Where WebAssembly SIMD is missing (or `simd: false`), the same memory is used by the
 * kernels' JavaScript loops.
 * @module
 */
import { arenaKernel, KdrecBprBatches, KdrecListBatches } from "@kdrec/core";
import { rowKernelsWasm, sharedRowKernelsWasm } from "./row_kernels_wasm.js";

/**
 * The exports of the kernel module (see `assembly/`); pointers are byte offsets into the arena's
 * memory, and 0 stands for an absent array.
 * @category Optimizers
 */
export interface RowKernelExports {
  listScores(
    P: number,
    Q: number,
    biases: number,
    users: number,
    items: number,
    rows: number,
    width: number,
    dim: number,
    out: number,
  ): void;
  rowGradients(
    P: number,
    Q: number,
    users: number,
    items: number,
    userIndex: number,
    itemIndex: number,
    scoreGrad: number,
    rows: number,
    width: number,
    dim: number,
    userGrad: number,
    itemGrad: number,
    biasGrad: number,
  ): void;
  scoreTopK(
    P: number,
    blocked: number,
    blockedBiases: number,
    users: number,
    rows: number,
    dim: number,
    items: number,
    excludeOffsets: number,
    excludeItems: number,
    k: number,
    outItems: number,
    outScores: number,
    scratch: number,
  ): void;
  selectTopK(
    scores: number,
    users: number,
    rows: number,
    items: number,
    stride: number,
    excludeOffsets: number,
    excludeItems: number,
    k: number,
    outItems: number,
    outScores: number,
  ): void;
  bprBatches(parameters: number): void;
  listBatches(parameters: number): void;
  adamRows(
    values: number,
    m: number,
    v: number,
    rowIds: number,
    gradients: number,
    count: number,
    width: number,
    lr: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    decay: number,
  ): void;
}

const PAGE = 65536;
// Every array starts on a cache line: rows of 16k floats then span k lines, not k + 1.
const ALIGN = 64;

const compiled = new Map<boolean, WebAssembly.Module | null>();
/**
 * The kernel module for an ordinary (`shared` false) or a shared memory, compiled once per
 * process; null where the engine cannot run it (no SIMD, or no threads for the shared one).
 */
export const kernelModule = (shared = false): WebAssembly.Module | null => {
  let module = compiled.get(shared);
  if (module === undefined) {
    const bytes = Uint8Array.from(atob(shared ? sharedRowKernelsWasm : rowKernelsWasm), (c) => c.charCodeAt(0));
    module = typeof WebAssembly === "object" && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    compiled.set(shared, module);
  }
  return module;
};

/**
 * A growable WebAssembly memory with two regions: tables that live as long as the model
 * ({@link RowArena.reserve}) and per-step scratch space after them ({@link RowArena.scratch}).
 * Growing the memory detaches every view, so callers keep byte offsets and ask for fresh views.
 * @example
 * ```ts
 * const arena = RowArena.create();
 * const table = arena.reserve(rows * width); // a byte offset; fill arena.f32(table, rows * width)
 * const adam = sparseOptimizer({ kind: "adam", learningRate: 1e-3 }, rows * width, arena);
 * // Each step: the touched rows and their gradients in scratch space, then Adam in place (SIMD
 * // when every array is in the arena, else the same loop in JavaScript).
 * const [ids, grads] = arena.scratch([touched, touched * width]);
 * // ... fill arena.i32(ids, touched) and arena.f32(grads, touched * width) ...
 * adam.apply(arena.f32(table, rows * width), width, arena.i32(ids, touched), arena.f32(grads, touched * width));
 * ```
 * @category Optimizers
 */
export class RowArena {
  /** The arena's memory (shared between threads when made with `shared: true`). */
  readonly memory: WebAssembly.Memory;
  private readonly exports: RowKernelExports | undefined;
  // Offset 0 is never handed out: the kernels read a 0 pointer as "no array".
  private top = ALIGN;

  private constructor(simd: boolean, shared: boolean) {
    // A shared memory needs a maximum: 4 GiB, the most a 32-bit WebAssembly memory addresses
    // (only reserved address space until it grows).
    this.memory = shared
      ? new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true })
      : new WebAssembly.Memory({ initial: 1 });
    const module = simd ? kernelModule(shared) : null;
    if (module === null) {
      this.exports = undefined;
      return;
    }
    const wasm = new WebAssembly.Instance(module, { env: { memory: this.memory } })
      .exports as unknown as RowKernelExports;
    // The whole-epoch kernels run their native stand-ins where one is registered when they are
    // called (the same values: see @kdrec/core's arenaKernel); a pool's helper threads decide for
    // themselves.
    const standInFor =
      (name: string, own: (parameters: number) => void) =>
      (parameters: number): void => {
        const native = arenaKernel(name);
        if (native === undefined) own(parameters);
        else native(new Uint8Array(this.memory.buffer), parameters);
      };
    this.exports = {
      ...wasm,
      bprBatches: standInFor(KdrecBprBatches, wasm.bprBatches),
      listBatches: standInFor(KdrecListBatches, wasm.listBatches),
    };
  }

  /**
   * An empty arena; `simd: false` keeps the JavaScript loops (for comparisons and tests);
   * `shared: true` puts it in a shared memory that other threads' kernels can work in (see
   * {@link KernelPool}).
   */
  static create(options: { readonly simd?: boolean; readonly shared?: boolean } = {}): RowArena {
    return new RowArena(options.simd ?? true, options.shared ?? false);
  }

  /** Whether this arena's kernels run as WebAssembly SIMD. */
  get simd(): boolean {
    return this.exports !== undefined;
  }

  /** Reserves zeroed room for `length` 32-bit values for the arena's lifetime; returns its byte offset. */
  reserve(length: number): number {
    const at = this.top;
    this.top = at + align(length * 4);
    this.ensure(this.top);
    new Uint8Array(this.memory.buffer, at, length * 4).fill(0); // earlier scratch may have been here
    return at;
  }

  /**
   * Room for a step's arrays of the given lengths (32-bit values, not zeroed), after the
   * reserved tables; the previous step's scratch is reused. All offsets are handed out at once
   * because growing the memory for a later array would detach the views of earlier ones.
   */
  scratch(lengths: readonly number[]): number[] {
    let end = this.top;
    const offsets = lengths.map((length) => {
      const at = end;
      end += align(length * 4);
      return at;
    });
    this.ensure(end);
    return offsets;
  }

  /** A Float32Array view of `length` values at byte offset `at` (valid until the memory grows). */
  f32(at: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, length);
  }

  /** An Int32Array view of `length` values at byte offset `at` (valid until the memory grows). */
  i32(at: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, at, length);
  }

  /** The kernels, when they run as WebAssembly and every array lives in this arena's memory. */
  kernelsFor(...arrays: readonly (Float32Array | Int32Array | undefined)[]): RowKernelExports | undefined {
    if (this.exports === undefined) return undefined;
    const buffer = this.memory.buffer;
    return arrays.every((a) => a === undefined || a.buffer === buffer) ? this.exports : undefined;
  }

  private ensure(bytes: number): void {
    const missing = bytes - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / PAGE));
  }
}

const align = (bytes: number): number => Math.ceil(bytes / ALIGN) * ALIGN;

/** The byte offset of a WebAssembly kernel argument (0 stands for "absent"). */
export const pointer = (array: Float32Array | Int32Array | undefined): number =>
  array === undefined ? 0 : array.byteOffset;

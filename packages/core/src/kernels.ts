/**
 * Kernels kdrec adds to an engine, named once here. A kernel is looked up per backend, as
 * TensorFlow.js looks up its own (`tf.getKernel`): `@kdrec/native-kernels` registers them for
 * native TensorFlow (one pass in C where TF.js would take three ops and two temporaries), and
 * {@link initEngine} loads it in Node when it is built. Where a kernel is not registered (the
 * `cpu` backend, a browser, an engine without the addon), callers compose TF.js ops instead and
 * get the same numbers: {@link hasEngineKernel} says which way to go.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * Each held-out item's rank in its row of a score block: the items of the row scoring at least as
 * high (strictly higher with `optimistic`), the target and the row's excluded items left out, NaN
 * ranked as the lowest finite score.
 * @category Kernels
 */
export const KdrecHeldOutRanks = "KdrecHeldOutRanks";

/**
 * Each row's `k` best items of a score block, leaving out the row's user's excluded items (sorted
 * CSR lists by user), best first, ties to the lower index, NaN never ranked; rows padded with
 * -1 / -∞ where fewer than `k` items are left.
 * @category Kernels
 */
export const KdrecTopKExcluding = "KdrecTopKExcluding";

/**
 * {@link KdrecTopKExcluding} from an MF's factors: each row's scores (`userRows[b] · itemFactors[i]
 * (+ itemBiases[i])`) are computed a few rows at a time and selected while in cache, so the
 * `[rows, items]` score block never goes to memory. Scores are summed over the factors in order,
 * so they may differ from a matrix product's in the last bit.
 * @category Kernels
 */
export const KdrecScoreTopKExcluding = "KdrecScoreTopKExcluding";

/**
 * Inputs of {@link heldOutRanks}.
 * @category Kernels
 */
export interface HeldOutRanksInputs {
  /** `[rows, items]`. */
  readonly scores: tf.Tensor2D;
  /** The row of each target (int32). */
  readonly targetRows: tf.Tensor1D;
  /** The item of each target (int32). */
  readonly targetItems: tf.Tensor1D;
  /** Row `b`'s excluded items are `excludedItems[excludedOffsets[b] … excludedOffsets[b + 1])` (int32, rows + 1). */
  readonly excludedOffsets: tf.Tensor1D;
  /** Excluded items, each once per row, targets not among them (int32). */
  readonly excludedItems: tf.Tensor1D;
}

/**
 * Inputs of {@link topKExcluding}.
 * @category Kernels
 */
export interface TopKExcludingInputs {
  /** `[rows, items]`. */
  readonly scores: tf.Tensor2D;
  /** The user of each row (int32), an index into `excludedOffsets`. */
  readonly users: tf.Tensor1D;
  /** User `u`'s excluded items are `excludedItems[excludedOffsets[u] … excludedOffsets[u + 1])`, sorted; empty for none (int32). */
  readonly excludedOffsets: tf.Tensor1D;
  /** (int32) */
  readonly excludedItems: tf.Tensor1D;
}

/**
 * Inputs of {@link scoreTopKExcluding}.
 * @category Kernels
 */
export interface ScoreTopKExcludingInputs {
  /** The rows' user factors, `[rows, dim]`. */
  readonly userRows: tf.Tensor2D;
  /** `[items, dim]`. */
  readonly itemFactors: tf.Tensor2D;
  /** `[items]`, or empty for none. */
  readonly itemBiases: tf.Tensor1D;
  /** As {@link TopKExcludingInputs}: each row's user, and the excluded lists by user. */
  readonly users: tf.Tensor1D;
  readonly excludedOffsets: tf.Tensor1D;
  readonly excludedItems: tf.Tensor1D;
}

/**
 * Whether the active backend has kernel `name` registered.
 * @example
 * ```ts
 * const fused = hasEngineKernel(KdrecHeldOutRanks); // true on native TensorFlow with the addon built
 * ```
 * @category Kernels
 */
export const hasEngineKernel = (name: string): boolean => tf.getKernel(name, tf.getBackend()) !== undefined;

/**
 * Runs {@link KdrecHeldOutRanks} on the active backend: an int32 tensor of one rank per target.
 * Throws when the backend lacks it (check {@link hasEngineKernel}) or an input is inconsistent.
 * @example
 * ```ts
 * const ranks = heldOutRanks({ scores, targetRows, targetItems, excludedOffsets, excludedItems }, false);
 * ```
 * @category Kernels
 */
export const heldOutRanks = (inputs: HeldOutRanksInputs, optimistic: boolean): tf.Tensor1D =>
  tf.engine().runKernel(KdrecHeldOutRanks, { ...inputs }, { optimistic }) as tf.Tensor1D;

/**
 * Runs {@link KdrecTopKExcluding} on the active backend: `[rows, k]` scores and items (int32).
 * Throws when the backend lacks it (check {@link hasEngineKernel}) or an input is inconsistent.
 * @example
 * ```ts
 * const { values, indices } = topKExcluding({ scores, users, excludedOffsets, excludedItems }, 10);
 * ```
 * @category Kernels
 */
export const topKExcluding = (
  inputs: TopKExcludingInputs,
  k: number,
): { readonly values: tf.Tensor2D; readonly indices: tf.Tensor2D } => {
  const [values, indices] = tf.engine().runKernel(KdrecTopKExcluding, { ...inputs }, { k }) as tf.Tensor2D[];
  return { values: values!, indices: indices! };
};

/**
 * Runs {@link KdrecScoreTopKExcluding} on the active backend: `[rows, k]` scores and items (int32).
 * Throws when the backend lacks it (check {@link hasEngineKernel}) or an input is inconsistent.
 * @example
 * ```ts
 * const { values, indices } = scoreTopKExcluding(
 *   { userRows, itemFactors, itemBiases: tf.tensor1d([]), users, excludedOffsets, excludedItems },
 *   10,
 * );
 * ```
 * @category Kernels
 */
export const scoreTopKExcluding = (
  inputs: ScoreTopKExcludingInputs,
  k: number,
): { readonly values: tf.Tensor2D; readonly indices: tf.Tensor2D } => {
  const [values, indices] = tf.engine().runKernel(KdrecScoreTopKExcluding, { ...inputs }, { k }) as tf.Tensor2D[];
  return { values: values!, indices: indices! };
};

/**
 * A whole-epoch training kernel run on a row arena's memory (all of it, as bytes) with its
 * parameter block at byte offset `parameters`: the same work, parameter block and values to the
 * bit as the WebAssembly kernel of the same name in `@kdrec/students`, in native code.
 * @category Kernels
 */
export type ArenaKernel = (memory: Uint8Array, parameters: number) => void;

/**
 * `@kdrec/students`' list kernel (`MatrixFactorization.trainListEpoch`'s whole epochs): `@kdrec/native-kernels`
 * registers it in C for Node, where it runs in place of the WebAssembly kernel.
 * @category Kernels
 */
export const KdrecListBatches = "listBatches";

/**
 * `@kdrec/students`' BPR kernel (`MatrixFactorization.trainPairwiseEpoch`'s whole epochs): `@kdrec/native-kernels`
 * registers it in C for Node, where it runs in place of the WebAssembly kernel.
 * @category Kernels
 */
export const KdrecBprBatches = "bprBatches";

/**
 * The arena kernels a native module may stand in for, by name.
 * @category Kernels
 */
export const ARENA_KERNELS = [KdrecListBatches, KdrecBprBatches] as const;

/**
 * Where another thread finds an arena kernel: `require(module)[name]` (a Node addon's export), so
 * that a pool's worker threads can run it too.
 * @category Kernels
 */
export interface ArenaKernelSource {
  readonly module: string;
  readonly name: string;
}

const arenaKernels = new Map<string, { readonly kernel: ArenaKernel; readonly source?: ArenaKernelSource }>();

/**
 * Registers `kernel` to run in place of the WebAssembly kernel `name` (e.g. {@link KdrecListBatches})
 * in this thread (an arena asks at each call), and, given its `source`, on the worker threads of a pool started
 * after; replaces an earlier registration.
 * @example
 * ```ts
 * registerArenaKernel(KdrecListBatches, addon.listBatches, { module: addonPath, name: "listBatches" });
 * ```
 * @category Kernels
 */
export const registerArenaKernel = (name: string, kernel: ArenaKernel, source?: ArenaKernelSource): void => {
  arenaKernels.set(name, source === undefined ? { kernel } : { kernel, source });
};

/**
 * Removes the arena kernel registered as `name` (the WebAssembly kernel runs again); returns it,
 * or undefined when there was none. Pools started before keep their threads' copies but run the
 * WebAssembly kernel while it is unregistered.
 * @example
 * ```ts
 * const native = unregisterArenaKernel(KdrecListBatches);
 * // … WebAssembly epochs …
 * if (native !== undefined) registerArenaKernel(KdrecListBatches, native);
 * ```
 * @category Kernels
 */
export const unregisterArenaKernel = (name: string): ArenaKernel | undefined => {
  const registered = arenaKernels.get(name);
  arenaKernels.delete(name);
  return registered?.kernel;
};

/**
 * The arena kernel registered as `name`, or undefined (then the WebAssembly kernel runs).
 * @example
 * ```ts
 * const native = arenaKernel(KdrecListBatches) !== undefined; // true in Node with the addon built
 * ```
 * @category Kernels
 */
export const arenaKernel = (name: string): ArenaKernel | undefined => arenaKernels.get(name)?.kernel;

/**
 * Where worker threads find the arena kernel registered as `name`, when it was registered with one.
 * @example
 * ```ts
 * const source = arenaKernelSource(KdrecListBatches); // { module: ".../kdrec_kernels.node", name: "listBatches" }
 * ```
 * @category Kernels
 */
export const arenaKernelSource = (name: string): ArenaKernelSource | undefined => arenaKernels.get(name)?.source;

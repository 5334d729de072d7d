/**
 * `@kdrec/native-kernels`: kdrec's kernels for native TensorFlow, in C, registered as TensorFlow.js
 * kernels of the `tensorflow` backend (`@tensorflow/tfjs-node`).
 *
 * - {@link KdrecHeldOutRanks}: full-ranking evaluation's ranks counted in one pass over each row of
 *   the score block (TF.js needs compare, cast and sum: three passes and two temporaries);
 * - {@link KdrecTopKExcluding}: each row's top K with the user's seen items left out, for teacher
 *   targets and `MatrixFactorization.topK` after a product on the engine;
 * - {@link KdrecScoreTopKExcluding}: the same from an MF's factors, scored and selected a few rows at
 *   a time in cache (`MatrixFactorization.topK` on the engine: no score block in memory);
 * - {@link KdrecListBatches}: `@kdrec/students`' whole-epoch list kernel (`trainListEpoch`) in C, on
 *   the WebAssembly arena's memory, with the same values to the bit (registered with
 *   `registerArenaKernel`: whole list epochs run it in place of the WebAssembly kernel, on one
 *   thread or a pool's);
 * - {@link KdrecBprBatches}: the same for its BPR kernel (`trainPairwiseEpoch`).
 *
 * `initEngine` (`@kdrec/core`) calls {@link registerNativeKernels} itself when this package is
 * installed and built: nothing to do but `npm run setup` (which runs `scripts/build.mjs`). Code that
 * uses the kernels asks `hasEngineKernel(name)` and composes TF.js ops where they are missing.
 * @packageDocumentation
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import {
  ARENA_KERNELS,
  type ArenaKernel,
  KdrecBprBatches,
  KdrecHeldOutRanks,
  KdrecListBatches,
  KdrecScoreTopKExcluding,
  KdrecTopKExcluding,
  registerArenaKernel,
} from "@kdrec/core";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";

export { KdrecBprBatches, KdrecHeldOutRanks, KdrecListBatches, KdrecScoreTopKExcluding, KdrecTopKExcluding };

/**
 * Where `scripts/build.mjs` writes the addon.
 * @category Native kernels
 */
export const ADDON_PATH = fileURLToPath(new URL("../build/kdrec_kernels.node", import.meta.url));

/** What the addon exports: the kernels it registered with TensorFlow, or why it could not; the arena kernels. */
interface Addon {
  readonly kernels?: ReadonlyArray<string>;
  readonly error?: string;
  readonly listBatches?: ArenaKernel;
  readonly bprBatches?: ArenaKernel;
}

/** The part of tfjs-node's backend that runs a TensorFlow op by name. */
interface TensorFlowBackend {
  readonly binding: { readonly TF_ATTR_BOOL: number; readonly TF_ATTR_INT: number };
  executeSingleOutput(name: string, attrs: ReadonlyArray<OpAttribute>, inputs: ReadonlyArray<tf.TensorInfo>): tf.Tensor;
  executeMultipleOutputs(
    name: string,
    attrs: ReadonlyArray<OpAttribute>,
    inputs: ReadonlyArray<tf.TensorInfo>,
    count: number,
  ): tf.Tensor[];
}

interface OpAttribute {
  readonly name: string;
  readonly type: number;
  readonly value: boolean | number;
}

const isTensorFlowBackend = (backend: unknown): backend is TensorFlowBackend =>
  typeof (backend as Partial<TensorFlowBackend> | undefined)?.executeSingleOutput === "function";

// The TF.js kernels: each hands its tensors to the TensorFlow op of the same name.
const KERNEL_CONFIGS: ReadonlyArray<tf.KernelConfig> = [
  {
    kernelName: KdrecHeldOutRanks,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as TensorFlowBackend;
      const { scores, targetRows, targetItems, excludedOffsets, excludedItems } = inputs;
      return native.executeSingleOutput(
        KdrecHeldOutRanks,
        [{ name: "optimistic", type: native.binding.TF_ATTR_BOOL, value: attrs?.optimistic === true }],
        [scores!, targetRows!, targetItems!, excludedOffsets!, excludedItems!],
      );
    },
  },
  {
    kernelName: KdrecTopKExcluding,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as TensorFlowBackend;
      const { scores, users, excludedOffsets, excludedItems } = inputs;
      return native.executeMultipleOutputs(
        KdrecTopKExcluding,
        [{ name: "k", type: native.binding.TF_ATTR_INT, value: Number(attrs?.k) }],
        [scores!, users!, excludedOffsets!, excludedItems!],
        2,
      );
    },
  },
  {
    kernelName: KdrecScoreTopKExcluding,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as TensorFlowBackend;
      const { userRows, itemFactors, itemBiases, users, excludedOffsets, excludedItems } = inputs;
      return native.executeMultipleOutputs(
        KdrecScoreTopKExcluding,
        [{ name: "k", type: native.binding.TF_ATTR_INT, value: Number(attrs?.k) }],
        [userRows!, itemFactors!, itemBiases!, users!, excludedOffsets!, excludedItems!],
        2,
      );
    },
  },
];

/**
 * Loads the addon (registering its ops with TensorFlow), registers the matching TF.js kernels of
 * the `tensorflow` backend and the whole-epoch kernels ({@link KdrecListBatches}, {@link KdrecBprBatches},
 * with `registerArenaKernel`);
 * safe to call again. Left with the reason, and nothing registered, when
 * the `tensorflow` backend is not loaded or the addon is not built or does not load.
 * @example
 * ```ts
 * await import("@tensorflow/tfjs-node");
 * const kernels = registerNativeKernels();
 * console.log(E.isRight(kernels) ? kernels.right.join(", ") : kernels.left);
 * ```
 * @category Native kernels
 */
export const registerNativeKernels = (): E.Either<string, ReadonlyArray<string>> => {
  if (!isTensorFlowBackend(tf.findBackend("tensorflow")))
    return E.left("the tensorflow backend is not loaded (import @tensorflow/tfjs-node first)");
  if (!existsSync(ADDON_PATH))
    return E.left(
      `not built (${ADDON_PATH} is missing): run \`npm run setup\`, or \`node scripts/build.mjs\` in @kdrec/native-kernels`,
    );
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (error) {
    return E.left(`${ADDON_PATH} does not load: ${(error as Error).message.split("\n")[0]}`);
  }
  if (addon.error !== undefined || addon.kernels === undefined)
    return E.left(`TensorFlow refused kdrec's kernels: ${addon.error ?? "no kernel registered"}`);
  for (const config of KERNEL_CONFIGS)
    if (tf.getKernel(config.kernelName, "tensorflow") === undefined) tf.registerKernel(config);
  // Each whole-epoch kernel the addon has, by the name of its export.
  const arenaKernels = ARENA_KERNELS.filter((name) => addon[name] !== undefined);
  for (const name of arenaKernels) registerArenaKernel(name, addon[name]!, { module: ADDON_PATH, name });
  return E.right([...KERNEL_CONFIGS.map((config) => config.kernelName), ...arenaKernels]);
};

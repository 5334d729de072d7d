/**
 * The engine entry point: initialise the best TensorFlow.js backend this process has and say
 * which one runs. In Node that is `tensorflow` (native TensorFlow through `@tensorflow/tfjs-node`,
 * ~100+ GFLOP/s here); the pure-JavaScript `cpu` backend is the fallback and the browser path
 * (~0.5 GFLOP/s: fine for serving a small student, far too slow to train one).
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import * as t from "io-ts";
import { decodeConfig } from "./codec.js";
import { type KdrecError, kdrecError } from "./error.js";

/**
 * The backends kdrec runs on: native `tensorflow` (Node) and pure-JS `cpu` (anywhere).
 * @category Engine
 */
export const BackendName = t.keyof({ tensorflow: null, cpu: null }, "'tensorflow' | 'cpu'");
/**
 * A backend name, `tensorflow` or `cpu`.
 * @category Engine
 */
export type BackendName = t.TypeOf<typeof BackendName>;

/**
 * Options of {@link initEngine}.
 * @category Engine
 */
export interface EngineOptions {
  /** Force a backend; default: the `KDREC_BACKEND` environment variable, else the best available. */
  readonly backend?: BackendName;
  /** Fail instead of falling back to `cpu` when `tensorflow` does not load (CI sets this). */
  readonly requireNative?: boolean;
  /** Where the fallback warning goes; default `console.warn`. */
  readonly warn?: (message: string) => void;
}

/**
 * Which engine runs, as reported by {@link initEngine}.
 * @category Engine
 */
export interface EngineInfo {
  readonly backend: BackendName;
  /** True when the native TensorFlow library computes (backend `tensorflow`). */
  readonly native: boolean;
  /** The `@tensorflow/tfjs-core` version. */
  readonly tfjsVersion: string;
  /** Why the engine is not the best one, when it fell back. */
  readonly fallbackReason?: string;
  /**
   * kdrec's own kernels registered on this backend (`@kdrec/native-kernels` on native TensorFlow,
   * e.g. {@link KdrecHeldOutRanks}); empty where TF.js ops do their work (same numbers, slower).
   */
  readonly kernels: ReadonlyArray<string>;
  /** Why native TensorFlow runs without kdrec's kernels, when it does. */
  readonly kernelsUnavailable?: string;
}

// Variable specifiers keep browser bundlers from trying to bundle the Node-only addons.
const TFJS_NODE = "@tensorflow/tfjs-node";
const TFJS_CPU = "@tensorflow/tfjs-backend-cpu";
const NATIVE_KERNELS = "@kdrec/native-kernels";

const isNode = (): boolean => typeof process !== "undefined" && typeof process.versions?.node === "string";

const loadNative = async (): Promise<E.Either<string, void>> => {
  if (!isNode()) return E.left("@tensorflow/tfjs-node only runs in Node.js");
  // TensorFlow logs oneDNN and CPU-feature notices at start-up; keep them out of kdrec's output.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  try {
    await import(/* @vite-ignore */ TFJS_NODE);
    return E.right(undefined);
  } catch (error) {
    return E.left(`${(error as Error).message.split("\n")[0]} (run \`npm run setup\` to provision the native engine)`);
  }
};

/** kdrec's kernels for native TensorFlow, when `@kdrec/native-kernels` is installed and built. */
const loadNativeKernels = async (): Promise<E.Either<string, ReadonlyArray<string>>> => {
  try {
    const module = (await import(/* @vite-ignore */ NATIVE_KERNELS)) as {
      readonly registerNativeKernels: () => E.Either<string, ReadonlyArray<string>>;
    };
    return module.registerNativeKernels();
  } catch (error) {
    return E.left(`${NATIVE_KERNELS} does not load: ${(error as Error).message.split("\n")[0]}`);
  }
};

// tfjs-core ships its gradients separately. Bundlers take the ESM side-effect module; Node's ESM
// loader cannot (its imports lack extensions), but the @tensorflow/tfjs union registers them too.
const GRADIENT_MODULES = ["@tensorflow/tfjs-core/dist/register_all_gradients", "@tensorflow/tfjs"];

const ensureGradients = async (): Promise<E.Either<string, void>> => {
  for (const specifier of GRADIENT_MODULES) {
    if (tf.getGradient(tf.Sum) !== undefined) break;
    await import(/* @vite-ignore */ specifier).catch(() => undefined);
  }
  return tf.getGradient(tf.Sum) !== undefined
    ? E.right(undefined)
    : E.left(`no gradients are registered: import "${GRADIENT_MODULES[0]}" (or "@tensorflow/tfjs") once`);
};

const activate = async (name: BackendName): Promise<E.Either<string, void>> => {
  if (name === "cpu" && tf.findBackendFactory("cpu") === null) {
    try {
      await import(/* @vite-ignore */ TFJS_CPU);
    } catch (error) {
      return E.left(`cannot load ${TFJS_CPU}: ${(error as Error).message}`);
    }
  }
  if (name === "tensorflow" && tf.findBackendFactory("tensorflow") === null) {
    const loaded = await loadNative();
    if (E.isLeft(loaded)) return loaded;
  }
  if (!((await tf.setBackend(name)) && tf.getBackend() === name)) return E.left(`tf.setBackend('${name}') failed`);
  return ensureGradients(); // kdrec trains on every backend
};

const slowWarning = (reason: string): string =>
  [
    "kdrec: WARNING: running on the pure-JavaScript 'cpu' backend, not native TensorFlow.",
    `  why: ${reason}`,
    "  effect: matrix products run ~300x slower (~0.4 vs ~120 GFLOP/s measured) and the gradient of an embedding",
    "  lookup takes minutes; training will be very slow. Run `npm run setup` to provision the native engine.",
  ].join("\n");

const backendFromEnvironment = (): E.Either<KdrecError, BackendName | undefined> => {
  const value = isNode() ? process.env.KDREC_BACKEND : undefined;
  return value === undefined || value === "" ? E.right(undefined) : decodeConfig(BackendName, value, "KDREC_BACKEND");
};

/**
 * Initialises the best available backend (or the forced one) and reports which runs.
 *
 * With no backend forced: `tensorflow` if `@tensorflow/tfjs-node` loads, else `cpu` with a loud
 * warning (or an `ENGINE_UNAVAILABLE` error under `requireNative`). A forced backend that does not
 * load is an error, never a silent fallback.
 * @example
 * ```ts
 * const engine = await initEngine({ requireNative: process.env.CI === "true" })();
 * if (E.isRight(engine)) console.log(`backend: ${engine.right.backend}`);
 * ```
 * @category Engine
 */
export const initEngine =
  (options: EngineOptions = {}): TE.TaskEither<KdrecError, EngineInfo> =>
  async () => {
    const fromEnv = backendFromEnvironment();
    if (E.isLeft(fromEnv)) return fromEnv;
    const forced = options.backend ?? fromEnv.right;
    const info = async (backend: BackendName, fallbackReason?: string): Promise<EngineInfo> => {
      const kernels = backend === "tensorflow" ? await loadNativeKernels() : E.right([]);
      return {
        backend,
        native: backend === "tensorflow",
        tfjsVersion: tf.version_core,
        ...(fallbackReason === undefined ? {} : { fallbackReason }),
        kernels: E.isRight(kernels) ? kernels.right : [],
        ...(E.isLeft(kernels) ? { kernelsUnavailable: kernels.left } : {}),
      };
    };

    if (forced !== undefined) {
      const activated = await activate(forced);
      return E.isRight(activated)
        ? E.right(await info(forced))
        : E.left(
            kdrecError("ENGINE_UNAVAILABLE", `backend '${forced}' is not available: ${activated.left}`, "initEngine"),
          );
    }
    const native = await activate("tensorflow");
    if (E.isRight(native)) return E.right(await info("tensorflow"));
    if (options.requireNative === true) {
      return E.left(
        kdrecError(
          "ENGINE_UNAVAILABLE",
          `native TensorFlow is required but did not load: ${native.left}`,
          "initEngine",
        ),
      );
    }
    const cpu = await activate("cpu");
    if (E.isLeft(cpu)) {
      return E.left(
        kdrecError(
          "ENGINE_UNAVAILABLE",
          `no backend loads: tensorflow: ${native.left}; cpu: ${cpu.left}`,
          "initEngine",
        ),
      );
    }
    (options.warn ?? console.warn)(slowWarning(native.left));
    return E.right(await info("cpu", native.left));
  };

/**
 * `@kdrec/testing`: runs a test suite once per TensorFlow.js backend, the way tfjs-core's
 * `describeWithFlags(..., ALL_ENVS)` does, so that the browser (`cpu`) path keeps the same
 * expectations as the native one.
 *
 * Backends come from `KDREC_TEST_BACKENDS` (comma-separated), default `tensorflow,cpu`. A backend
 * that does not load fails its suite: there is no silent fallback.
 * @packageDocumentation
 */
import {
  ARENA_KERNELS,
  type ArenaKernel,
  type ArenaKernelSource,
  arenaKernelSource,
  type BackendName,
  formatKdrecError,
  initEngine,
  registerArenaKernel,
  unregisterArenaKernel,
} from "@kdrec/core";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { beforeAll, describe } from "vitest";

/** The backends this test run covers; an unknown name throws, naming the variable. */
export const testBackends = (): ReadonlyArray<BackendName> => {
  const requested = (process.env.KDREC_TEST_BACKENDS ?? "tensorflow,cpu").split(",").map((b) => b.trim());
  const known: ReadonlyArray<BackendName> = ["tensorflow", "cpu"];
  const unknown = requested.filter((b) => !known.includes(b as BackendName));
  if (unknown.length > 0)
    throw new Error(`KDREC_TEST_BACKENDS: unknown backend(s) ${unknown.join(", ")}; use tensorflow, cpu`);
  return requested as BackendName[];
};

/**
 * Activates `backend` for the tests that follow, failing loudly when it does not load — or, on
 * `tensorflow`, when kdrec's native kernels do not (set-up builds them; the TF.js fallback is tested
 * explicitly, with {@link withoutEngineKernel}). On `cpu`, the WebAssembly training kernels run.
 */
export const useBackend = async (backend: BackendName): Promise<void> => {
  const engine = await initEngine({ backend })();
  if (E.isLeft(engine)) throw new Error(formatKdrecError(engine.left));
  if (engine.right.kernelsUnavailable !== undefined)
    throw new Error(`kdrec's native kernels did not load: ${engine.right.kernelsUnavailable}`);
  // The `cpu` suites stand for a browser, where the WebAssembly kernels run (`tensorflow`'s
  // initEngine registers the native ones again).
  if (backend === "cpu") for (const name of ARENA_KERNELS) unregisterArenaKernel(name);
};

/**
 * Runs `body` with engine kernel `name` unregistered from the active backend (so the TF.js ops that
 * stand in for it run), then registers it again, whatever `body` did.
 */
export const withoutEngineKernel = async <A>(name: string, body: () => Promise<A> | A): Promise<A> => {
  const config = tf.getKernel(name, tf.getBackend());
  if (config === undefined) return body();
  tf.unregisterKernel(name, config.backendName);
  try {
    return await body();
  } finally {
    tf.registerKernel(config);
  }
};

/**
 * Runs `body` with `stand-in` registered as arena kernel `name` (undefined: none, so the
 * WebAssembly kernel of that name runs), then puts back what was registered before (kernel and
 * source), whatever `body` did.
 */
export const withArenaKernel = async <A>(
  name: string,
  standIn: { readonly kernel: ArenaKernel; readonly source?: ArenaKernelSource } | undefined,
  body: () => Promise<A> | A,
): Promise<A> => {
  const source = arenaKernelSource(name);
  const kernel = unregisterArenaKernel(name);
  if (standIn !== undefined) registerArenaKernel(name, standIn.kernel, standIn.source);
  try {
    return await body();
  } finally {
    unregisterArenaKernel(name);
    if (kernel !== undefined) registerArenaKernel(name, kernel, source);
  }
};

/**
 * Runs `body` with arena kernel `name` unregistered (so the WebAssembly kernel of that name runs),
 * then registers it again, whatever `body` did.
 */
export const withoutArenaKernel = <A>(name: string, body: () => Promise<A> | A): Promise<A> =>
  withArenaKernel(name, undefined, body);

/**
 * Declares `suite` once per backend of {@link testBackends}, as `title [backend]`.
 * @param only restrict to these backends (e.g. `["tensorflow"]` for a suite too slow on `cpu`).
 */
export const describeEachBackend = (
  title: string,
  suite: (backend: BackendName) => void,
  only?: ReadonlyArray<BackendName>,
): void => {
  for (const backend of testBackends().filter((b) => only === undefined || only.includes(b))) {
    describe(`${title} [${backend}]`, () => {
      beforeAll(() => useBackend(backend));
      suite(backend);
    });
  }
};

export { tinyTowerRun } from "./fixtures.js";
export { killableStore } from "./killable_store.js";
export { runReadmeExample } from "./readme.js";
export { scratchFolders } from "./scratch.js";
export { datasetDir, referenceJson } from "./shared-data.js";

import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { afterEach, describe, expect, it } from "vitest";
import { initEngine } from "./engine.js";
import {
  arenaKernel,
  hasEngineKernel,
  KdrecBprBatches,
  KdrecHeldOutRanks,
  KdrecListBatches,
  KdrecScoreTopKExcluding,
  KdrecTopKExcluding,
  registerArenaKernel,
  unregisterArenaKernel,
} from "./kernels.js";

const saved = process.env.KDREC_BACKEND;
afterEach(() => {
  if (saved === undefined) delete process.env.KDREC_BACKEND;
  else process.env.KDREC_BACKEND = saved;
});

describe("initEngine", () => {
  it("starts native TensorFlow when nothing is forced (required under CI=true)", async () => {
    delete process.env.KDREC_BACKEND;
    const warnings: string[] = [];
    const engine = await initEngine({ requireNative: process.env.CI === "true", warn: (m) => warnings.push(m) })();
    if (E.isLeft(engine)) throw new Error(engine.left.message);
    // Outside CI a machine without the native engine falls back loudly; say so rather than pass quietly.
    if (engine.right.backend === "cpu")
      expect(warnings[0]).toMatch(/WARNING: running on the pure-JavaScript 'cpu' backend/);
    else
      expect(engine.right).toEqual({
        backend: "tensorflow",
        native: true,
        tfjsVersion: tf.version_core,
        // @kdrec/native-kernels, built by set-up, loaded with the engine.
        kernels: [KdrecHeldOutRanks, KdrecTopKExcluding, KdrecScoreTopKExcluding, KdrecListBatches, KdrecBprBatches],
      });
    expect(tf.getBackend()).toBe(engine.right.backend);
  });

  it("honours a forced backend, by option and by KDREC_BACKEND", async () => {
    const cpu = await initEngine({ backend: "cpu" })();
    expect(cpu).toEqual(E.right({ backend: "cpu", native: false, tfjsVersion: tf.version_core, kernels: [] }));
    expect(tf.getBackend()).toBe("cpu");

    process.env.KDREC_BACKEND = "tensorflow";
    const native = await initEngine()();
    expect(E.isRight(native) && native.right.backend).toBe("tensorflow");
    expect(tf.getBackend()).toBe("tensorflow");
  });

  it("refuses an unknown KDREC_BACKEND, naming the variable", async () => {
    process.env.KDREC_BACKEND = "webgpu";
    const engine = await initEngine()();
    expect(E.isLeft(engine) && engine.left).toMatchObject({
      code: "INVALID_CONFIG",
      location: "KDREC_BACKEND",
      message: expect.stringContaining(`expected 'tensorflow' | 'cpu', got "webgpu"`),
    });
  });

  it("computes the same on both backends", async () => {
    const product = async (backend: "tensorflow" | "cpu") => {
      await initEngine({ backend })();
      return tf
        .tidy(() =>
          tf.matMul(
            tf.tensor2d([
              [1, 2],
              [3, 4],
            ]),
            tf.tensor2d([[5], [6]]),
          ),
        )
        .array();
    };
    expect(await product("tensorflow")).toEqual([[17], [39]]);
    expect(await product("cpu")).toEqual([[17], [39]]);
  });
});

describe("engine kernels", () => {
  it("are registered on native TensorFlow and absent on cpu, where callers compose TF.js ops", async () => {
    await initEngine({ backend: "tensorflow" })();
    expect(hasEngineKernel(KdrecHeldOutRanks)).toBe(true);
    expect(hasEngineKernel(KdrecTopKExcluding)).toBe(true);
    expect(hasEngineKernel(KdrecScoreTopKExcluding)).toBe(true);
    // The whole-epoch kernels run on the WebAssembly arena's memory, whatever the backend.
    expect(arenaKernel(KdrecListBatches)).toBeDefined();
    expect(arenaKernel(KdrecBprBatches)).toBeDefined();
    await initEngine({ backend: "cpu" })();
    expect(hasEngineKernel(KdrecHeldOutRanks)).toBe(false);
  });

  it("arena kernels: registered by name, replaced, removed (giving back what was there)", () => {
    const calls: number[] = [];
    const first = (_: Uint8Array, parameters: number) => calls.push(parameters);
    const second = (_: Uint8Array, parameters: number) => calls.push(-parameters);
    registerArenaKernel("testKernel", first);
    arenaKernel("testKernel")!(new Uint8Array(0), 7);
    registerArenaKernel("testKernel", second);
    arenaKernel("testKernel")!(new Uint8Array(0), 7);
    expect(calls).toEqual([7, -7]);
    expect(unregisterArenaKernel("testKernel")).toBe(second);
    expect(arenaKernel("testKernel")).toBeUndefined();
    expect(unregisterArenaKernel("testKernel")).toBeUndefined();
  });
});

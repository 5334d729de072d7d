import { arenaKernel, KdrecBprBatches, seededRandom } from "@kdrec/core";
import {
  asItemLists,
  leaveLastOut,
  pairwiseBatches,
  syntheticDataset,
  uniformNegatives,
  userItemSets,
} from "@kdrec/data";
import { rowBprGradient } from "@kdrec/losses";
import { evaluateFullRanking } from "@kdrec/metrics";
import { describeEachBackend, withoutArenaKernel } from "@kdrec/testing";
import * as E from "fp-ts/lib/Either.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { KernelPool } from "./kernel_pool.js";
import { MatrixFactorization, type MatrixFactorizationConfig } from "./matrix_factorization.js";
import { startKernelPool } from "./node_kernel_pool.js";

const data = syntheticDataset({ seed: 3, users: 300, items: 200 }).interactions;
const split = leaveLastOut(data);
const sampler = uniformNegatives(userItemSets(split.train));
if (E.isLeft(sampler)) throw new Error(sampler.left.message);
const epoch = (seed: number) => [...pairwiseBatches(split.train, sampler.right, 256, seededRandom(seed))];

/** The same epochs step by step: trainStepWithGradient with the BPR gradient, batch after batch. */
const stepByStep = (model: MatrixFactorization, batches: ReturnType<typeof epoch>) => {
  const bpr = rowBprGradient();
  return batches.map((batch) =>
    model.trainStepWithGradient(asItemLists(batch), (scores, gradient) =>
      bpr({ rows: batch.users.length, width: 2, student: scores }, 1, gradient),
    ),
  );
};

const maxDifference = (a: Float32Array, b: Float32Array) => a.reduce((m, x, k) => Math.max(m, Math.abs(x - b[k]!)), 0);

describeEachBackend("MatrixFactorization.trainPairwiseEpoch", () => {
  let pool: KernelPool;
  beforeAll(async () => {
    pool = await startKernelPool({ threads: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it.each([
    [8, false],
    [13, true],
  ])(
    "takes the steps trainStepWithGradient takes with BPR, in one kernel call (dim %i, item biases %s)",
    (dim, itemBias) => {
      const config: MatrixFactorizationConfig = { users: 300, items: 200, dim, seed: 2, l2: 0.01, itemBias };
      const fused = MatrixFactorization.create(config);
      const reference = MatrixFactorization.create(config);
      for (const seed of [1, 2]) {
        const batches = epoch(seed);
        const losses = fused.trainPairwiseEpoch(batches);
        const expected = stepByStep(reference, batches);
        expect(Array.from(losses)).toEqual(expected.map((x) => expect.closeTo(x, 5)));
      }
      expect(maxDifference(fused.userFactors, reference.userFactors)).toBeLessThan(1e-5);
      expect(maxDifference(fused.itemFactors, reference.itemFactors)).toBeLessThan(1e-5);
      if (itemBias) expect(maxDifference(fused.itemBiases!, reference.itemBiases!)).toBeLessThan(1e-5);
      // Adam's step moved on by one per batch: a later step-by-step batch continues both alike.
      const state = [fused.trainingState(), reference.trainingState()].map((s) => s.optimizers.users!.step);
      expect(state[0]).toBe(state[1]);
    },
  );

  it("trains on two threads over the pool's shared tables (Hogwild) to the quality of one", async () => {
    const config: MatrixFactorizationConfig = {
      users: 300,
      items: 200,
      dim: 16,
      seed: 2,
      l2: 1e-4,
      optimizer: { kind: "adam", learningRate: 0.01 },
    };
    const alone = MatrixFactorization.create(config);
    const shared = MatrixFactorization.create(config, { pool });
    const untrained = MatrixFactorization.create(config);
    let last = [0, 0];
    for (let seed = 1; seed <= 15; seed++) {
      const batches = epoch(seed);
      const mean = (x: Float32Array) => x.reduce((a, b) => a + b, 0) / x.length;
      last = [mean(alone.trainPairwiseEpoch(batches)), mean(shared.trainPairwiseEpoch(batches))];
    }
    // Both trained: the loss fell from log 2 (0.69) to about the same value (0.14 here).
    expect(last[0]!).toBeLessThan(0.3);
    expect(Math.abs(last[0]! - last[1]!)).toBeLessThan(0.02);
    const ndcg = async (model: MatrixFactorization) => {
      const scorer = model.allItemScorer();
      const report = await evaluateFullRanking(scorer.score, { heldOut: split.valid, exclude: [split.train] });
      scorer.dispose();
      if (E.isLeft(report)) throw new Error(report.left.message);
      return report.right.summary["ndcg@10"]!.mean;
    };
    const [one, two, none] = [await ndcg(alone), await ndcg(shared), await ndcg(untrained)];
    expect(two).toBeGreaterThan(none + 0.5 * (one - none));
  });

  it("takes the same steps one at a time where the kernel does not apply (SGD, partial fine-tuning)", () => {
    const sgd = { users: 300, items: 200, dim: 4, seed: 1, optimizer: { kind: "sgd", learningRate: 0.1 } } as const;
    const [a, b] = [MatrixFactorization.create(sgd), MatrixFactorization.create(sgd)];
    const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));
    expect(Array.from(a.trainPairwiseEpoch(epoch(1)))).toEqual(f32(stepByStep(b, epoch(1))));
    expect(Array.from(a.userFactors)).toEqual(Array.from(b.userFactors));
    const adam = { users: 300, items: 200, dim: 4, seed: 1 } as const;
    const [c, d] = [MatrixFactorization.create(adam), MatrixFactorization.create(adam)];
    c.trainOnly(["users"]);
    d.trainOnly(["users"]);
    expect(Array.from(c.trainPairwiseEpoch(epoch(1), pool))).toEqual(f32(stepByStep(d, epoch(1))));
    expect(Array.from(c.itemFactors)).toEqual(Array.from(d.itemFactors));
    expect(Array.from(c.userFactors)).toEqual(Array.from(d.userFactors));
  });

  it("trains a model of its own arena on a pool given per epoch: copied in and back, the steps of one thread with a pool of one", async () => {
    const config: MatrixFactorizationConfig = { users: 300, items: 200, dim: 8, seed: 2, l2: 0.01, itemBias: true };
    const [own, reference] = [MatrixFactorization.create(config), MatrixFactorization.create(config)];
    const single = await startKernelPool({ threads: 1 });
    // A pool of one thread is not worth a copy: the model's own kernel, the same steps.
    expect(Array.from(own.trainPairwiseEpoch(epoch(1), single))).toEqual(
      Array.from(reference.trainPairwiseEpoch(epoch(1))),
    );
    await single.close();
    // Two threads: the tables and moments go to the pool's memory and come back trained.
    const before = Float32Array.from(own.itemFactors);
    const losses = own.trainPairwiseEpoch(epoch(2), pool);
    reference.trainPairwiseEpoch(epoch(2));
    expect(losses.length).toBe(epoch(2).length);
    expect(maxDifference(own.itemFactors, before)).toBeGreaterThan(1e-4);
    expect(maxDifference(own.itemFactors, reference.itemFactors)).toBeLessThan(0.01);
    expect(own.trainingState().optimizers.items!.step).toBe(reference.trainingState().optimizers.items!.step);
  });
});

// The native BPR kernel (`@kdrec/native-kernels`, registered by initEngine on native TensorFlow)
// runs whole epochs in place of the WebAssembly kernel: the same tables and losses to the bit.
describeEachBackend("trainPairwiseEpoch's native BPR kernel", () => {
  it("is registered on native TensorFlow", () => {
    expect(arenaKernel(KdrecBprBatches)).toBeDefined();
  });

  // Dimensions with and without a partial vector and past one sixteen-lane pass.
  it.each([8, 13, 64, 67].flatMap((dim) => [true, false].map((itemBias) => [dim, itemBias] as const)))(
    "gives the WebAssembly kernel's tables and losses to the bit (dim %i, item biases %s)",
    async (dim, itemBias) => {
      const config: MatrixFactorizationConfig = { users: 300, items: 200, dim, seed: 7, l2: 0.01, itemBias };
      const [native, wasm] = [MatrixFactorization.create(config), MatrixFactorization.create(config)];
      const nativeLosses = [1, 2].map((seed) => native.trainPairwiseEpoch(epoch(seed)));
      const wasmLosses = await withoutArenaKernel(KdrecBprBatches, () =>
        [1, 2].map((seed) => wasm.trainPairwiseEpoch(epoch(seed))),
      );
      expect(nativeLosses).toEqual(wasmLosses);
      expect(native.userFactors).toEqual(wasm.userFactors);
      expect(native.itemFactors).toEqual(wasm.itemFactors);
      expect(native.itemBiases).toEqual(wasm.itemBiases);
      expect(native.trainingState().optimizers.items!.step).toBe(wasm.trainingState().optimizers.items!.step);
    },
  );
}, ["tensorflow"]);

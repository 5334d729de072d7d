import { arenaKernel, KdrecListBatches, seededRandom } from "@kdrec/core";
import { leaveLastOut, pairwiseBatches, syntheticDataset, uniformNegatives, userItemSets } from "@kdrec/data";
import { closedFormOf, type KernelTerm, rankWeights } from "@kdrec/losses";
import type { ItemLists, ListEpoch } from "@kdrec/model-kit";
import { describeEachBackend, withoutArenaKernel } from "@kdrec/testing";
import * as E from "fp-ts/lib/Either.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { KernelPool } from "./kernel_pool.js";
import { MatrixFactorization, type MatrixFactorizationConfig } from "./matrix_factorization.js";
import { startKernelPool } from "./node_kernel_pool.js";

const [users, items, candidates] = [300, 200, 20];
const width = candidates + 2;
const split = leaveLastOut(syntheticDataset({ seed: 3, users, items }).interactions);
const sampler = uniformNegatives(userItemSets(split.train));
if (E.isLeft(sampler)) throw new Error(sampler.left.message);

/** An epoch's lists: [negative, positive, `candidates` uniform items] per row, as the soft-label plan draws them. */
const epochLists = (seed: number): ItemLists[] => {
  const rng = seededRandom(seed);
  return [...pairwiseBatches(split.train, sampler.right, 256, rng.split("batches"))].map((batch) => {
    const lists = new Int32Array(batch.users.length * width);
    batch.users.forEach((_, row) => {
      lists[row * width] = batch.negatives[row]!;
      lists[row * width + 1] = batch.positives[row]!;
      for (let j = 2; j < width; j++) lists[row * width + j] = rng.int(items);
    });
    return { users: batch.users, items: lists, width };
  });
};

/** A fixed MF-32 teacher (with item biases), and its score table of every (user, item). */
const teacherModel = MatrixFactorization.create({ users, items, dim: 32, seed: 9, initStd: 0.5, itemBias: true });
teacherModel.itemBiases!.forEach((_, k, biases) => {
  biases[k] = Math.sin(k);
});
const teacherFactors = {
  dim: 32,
  userFactors: teacherModel.userFactors,
  itemFactors: teacherModel.itemFactors,
  itemBiases: teacherModel.itemBiases,
};
const teacherScores = (() => {
  const table = new Float32Array(users * items);
  const { userFactors: P, itemFactors: Q, itemBiases: b } = teacherModel;
  for (let u = 0; u < users; u++)
    for (let i = 0; i < items; i++) {
      let s = b![i]!;
      for (let d = 0; d < 32; d++) s += P[u * 32 + d]! * Q[i * 32 + d]!;
      table[u * items + i] = s;
    }
  return table;
})();

/** Soft-label distillation's epoch: 0.2·BPR(negative, positive) + 0.8·soft labels over the rest at T = 0.5. */
const softLabelEpoch = (
  lists: ItemLists[],
  { bprWeight = 0.2, softLabelWeight = 0.8, temperature = 0.5, ...settings }: SoftLabelSettings = {},
): ListEpoch => ({
  batchRows: lists.map((l) => l.users.length),
  lists: (k) => lists[k]!,
  width,
  teacher: { table: teacherScores },
  terms: [
    { term: { kind: "bpr", positive: 1, negative: 0 }, weight: bprWeight },
    { term: { kind: "soft-label", first: 1, count: width - 1, temperature }, weight: softLabelWeight },
  ],
  ...settings,
});
type SoftLabelSettings = Partial<Omit<ListEpoch, "terms">> & {
  readonly bprWeight?: number;
  readonly softLabelWeight?: number;
  readonly temperature?: number;
};

/** The epoch's steps one at a time: trainStepWithGradient with each term's closed form, in order. */
const stepByStep = (model: MatrixFactorization, epoch: ListEpoch) => {
  const closedForms = epoch.terms.map(({ term }) => closedFormOf(term));
  return epoch.batchRows.map((rows, k) => {
    const lists = epoch.lists(k);
    const teacher = Float32Array.from(
      lists.items,
      (item, j) => teacherScores[lists.users[Math.floor(j / width)]! * items + item]!,
    );
    const parts = epoch.terms.map(() => 0);
    model.trainStepWithGradient(lists, (student, gradient) => {
      const scores = { rows, width, student, teacher };
      let total = 0;
      epoch.terms.forEach(({ weight }, j) => {
        // A term of weight 0 is skipped, as by mixtureGradient.
        if (weight === 0) return;
        parts[j] = closedForms[j]!(scores, weight, gradient);
        total += weight * parts[j]!;
      });
      return total;
    });
    return parts;
  });
};

/** `fused` trains `epochs` through its list kernel and `reference` step by step: the same losses and tables. */
const expectSameSteps = (
  fused: MatrixFactorization,
  reference: MatrixFactorization,
  epochs: ReadonlyArray<ListEpoch>,
  digits: ReadonlyArray<number>,
) => {
  for (const epoch of epochs) {
    const losses = fused.trainListEpoch(epoch);
    const expected = stepByStep(reference, epoch);
    losses.forEach((termLosses, j) => {
      if (epoch.terms[j]!.weight === 0) expect(termLosses.every(Number.isNaN)).toBe(true);
      else expect(Array.from(termLosses)).toEqual(expected.map((parts) => expect.closeTo(parts[j]!, digits[j]!)));
    });
  }
  expect(maxDifference(fused.userFactors, reference.userFactors)).toBeLessThan(1e-5);
  expect(maxDifference(fused.itemFactors, reference.itemFactors)).toBeLessThan(1e-5);
  if (fused.itemBiases !== undefined) expect(maxDifference(fused.itemBiases, reference.itemBiases!)).toBeLessThan(1e-5);
  expect(fused.trainingState().optimizers.items!.step).toBe(reference.trainingState().optimizers.items!.step);
};

/** Two MF models alike (Adam at `learningRate`), to train side by side. */
const twoModels = (dim: number, seed: number, learningRate: number) => {
  const config: MatrixFactorizationConfig = { users, items, dim, seed, optimizer: { kind: "adam", learningRate } };
  return [MatrixFactorization.create(config), MatrixFactorization.create(config)] as const;
};

const mean = (x: Float32Array) => x.reduce((a, b) => a + b, 0) / x.length;

const maxDifference = (a: Float32Array, b: Float32Array) => a.reduce((m, x, k) => Math.max(m, Math.abs(x - b[k]!)), 0);

/** Mixtures beside soft labels: a name, the terms, and the digits their losses agree to step by step. */
const otherMixtures: ReadonlyArray<[string, ReadonlyArray<{ term: KernelTerm; weight: number }>, number[]]> = [
  [
    "BPR + squared error against the teacher (MSE distillation)",
    [
      { term: { kind: "bpr", positive: 0, negative: 1 }, weight: 0.5 },
      { term: { kind: "squared-error" }, weight: 0.5 },
    ],
    [5, 3],
  ],
  [
    "BPR + ranking distillation",
    [
      { term: { kind: "bpr", positive: 0, negative: 1 }, weight: 0.3 },
      { term: { kind: "ranking", first: 2, negative: 1, rankWeights: rankWeights(10, 5) }, weight: 0.7 },
    ],
    [5, 4],
  ],
  [
    "BPR + Plackett–Luce with items below",
    [
      { term: { kind: "bpr", positive: 0, negative: 1 }, weight: 0.5 },
      { term: { kind: "plackett-luce", first: 2, count: 8, below: 12 }, weight: 0.5 },
    ],
    [5, 4],
  ],
  [
    "BPR + soft binary cross-entropy (two-way training's pointwise targets)",
    [
      { term: { kind: "bpr", positive: 0, negative: 1 }, weight: 0.5 },
      { term: { kind: "soft-bce", first: 2, count: 20, temperature: 2 }, weight: 0.5 },
    ],
    [5, 4],
  ],
  [
    "four terms at once, one of weight 0 (skipped)",
    [
      { term: { kind: "plackett-luce", first: 3, count: 5, below: 0 }, weight: 0.25 },
      { term: { kind: "soft-label", first: 2, count: 20, temperature: 2 }, weight: 1.5 },
      { term: { kind: "bpr", positive: 1, negative: 0 }, weight: 0 },
      { term: { kind: "squared-error" }, weight: 0.1 },
    ],
    [4, 4, 0, 3],
  ],
];

describeEachBackend("MatrixFactorization.trainListEpoch", () => {
  let pool: KernelPool;
  beforeAll(async () => {
    pool = await startKernelPool({ threads: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });

  // From d = 64 the kernel sums each item's gradient item by item instead of row by row.
  it.each([
    [8, false, 0.5],
    [13, true, 2],
    [67, true, 0.5],
  ])(
    "takes the steps trainStepWithGradient takes with BPR + soft-label CE, in one kernel call (dim %i, item biases %s, T = %d)",
    (dim, itemBias, temperature) => {
      const config: MatrixFactorizationConfig = { users, items, dim, seed: 2, l2: 0.01, itemBias };
      expectSameSteps(
        MatrixFactorization.create(config),
        MatrixFactorization.create(config),
        [1, 2].map((seed) => softLabelEpoch(epochLists(seed), { temperature })),
        [5, 4],
      );
    },
  );

  it.each([12, 64].flatMap((dim) => otherMixtures.map(([name, terms, digits]) => [dim, name, terms, digits] as const)))(
    "at dim %i, takes the closed-form steps of %s",
    (dim, _, terms, digits) => {
      const config: MatrixFactorizationConfig = { users, items, dim, seed: 3, l2: 0.01, itemBias: true };
      const epochs = [1, 2].map((seed) => ({ ...softLabelEpoch(epochLists(seed)), terms }));
      expectSameSteps(MatrixFactorization.create(config), MatrixFactorization.create(config), epochs, digits);
    },
  );

  it("scores the teacher's lists from its MF tables when it has no score table: the steps of the table's", () => {
    const config: MatrixFactorizationConfig = { users, items, dim: 8, seed: 2, l2: 0.01 };
    const [byTables, byTable] = [MatrixFactorization.create(config), MatrixFactorization.create(config)];
    const lists = epochLists(1);
    const a = byTables.trainListEpoch(softLabelEpoch(lists, { teacher: { factors: teacherFactors } }));
    const b = byTable.trainListEpoch(softLabelEpoch(lists));
    expect(Array.from(a[1]!)).toEqual(Array.from(b[1]!).map((x) => expect.closeTo(x, 4)));
    expect(maxDifference(byTables.itemFactors, byTable.itemFactors)).toBeLessThan(1e-5);
    expect(() =>
      byTables.trainListEpoch(
        softLabelEpoch(lists, { teacher: { factors: { ...teacherFactors, itemBiases: new Float32Array(3) } } }),
      ),
    ).toThrow(/item biases hold 3 values for 200 items/);
  });

  it("follows the teacher: after a few epochs the student's soft-label loss falls, and falls less against noise", () => {
    const [taught, noised] = twoModels(8, 4, 0.02);
    const rng = seededRandom(5);
    const noise = Float32Array.from(teacherScores, () => rng.normal() * 2);
    const first = mean(taught.trainListEpoch(softLabelEpoch(epochLists(1), { bprWeight: 0, softLabelWeight: 1 }))[1]!);
    let last = first;
    for (let seed = 2; seed <= 8; seed++) {
      const lists = epochLists(seed);
      last = mean(taught.trainListEpoch(softLabelEpoch(lists, { bprWeight: 0, softLabelWeight: 1 }))[1]!);
      noised.trainListEpoch(softLabelEpoch(lists, { bprWeight: 0, softLabelWeight: 1, teacher: { table: noise } }));
    }
    expect(last).toBeLessThan(0.8 * first);
    // The taught student's scores rank like the teacher's; the one taught noise does not.
    const agreement = (model: MatrixFactorization) => {
      const { userFactors: P, itemFactors: Q } = model;
      let concordant = 0;
      let pairs = 0;
      for (let u = 0; u < users; u += 7)
        for (let i = 0; i + 1 < items; i += 3) {
          const s = (item: number) => P.subarray(u * 8, u * 8 + 8).reduce((sum, p, d) => sum + p * Q[item * 8 + d]!, 0);
          const t = (item: number) => teacherScores[u * items + item]!;
          concordant += Math.sign(s(i) - s(i + 1)) === Math.sign(t(i) - t(i + 1)) ? 1 : 0;
          pairs += 1;
        }
      return concordant / pairs;
    };
    // (0.64 and 0.50 here: chance is 0.5; an MF-8 without biases cannot copy an MF-32 with them.)
    expect(agreement(taught)).toBeGreaterThan(0.6);
    expect(agreement(noised)).toBeLessThan(0.55);
  });

  it.each([16, 64])(
    "trains on two threads (Hogwild) to about the loss of one at dim %i; the pool's copy comes back",
    (dim) => {
      const [alone, shared] = twoModels(dim, 2, 0.01);
      let last = [0, 0];
      for (let seed = 1; seed <= 6; seed++) {
        const lists = epochLists(seed);
        last = [
          mean(alone.trainListEpoch(softLabelEpoch(lists))[1]!),
          mean(shared.trainListEpoch(softLabelEpoch(lists), pool)[1]!),
        ];
      }
      expect(Math.abs(last[0]! - last[1]!)).toBeLessThan(0.05 * last[0]!);
      expect(maxDifference(alone.itemFactors, shared.itemFactors)).toBeGreaterThan(0);
      expect(shared.trainingState().optimizers.users!.step).toBe(alone.trainingState().optimizers.users!.step);
    },
  );

  it("takes the same steps one at a time where the kernel does not apply (SGD), and reports NaN for a term of weight 0", () => {
    const sgd = { users, items, dim: 4, seed: 1, optimizer: { kind: "sgd", learningRate: 0.1 } } as const;
    const [a, b] = [MatrixFactorization.create(sgd), MatrixFactorization.create(sgd)];
    const lists = epochLists(1);
    const losses = a.trainListEpoch(softLabelEpoch(lists));
    const expected = stepByStep(b, softLabelEpoch(lists));
    expect(Array.from(losses[1]!)).toEqual(Array.from(Float32Array.from(expected.map(([, x]) => x!))));
    expect(Array.from(a.userFactors)).toEqual(Array.from(b.userFactors));
    const adam = MatrixFactorization.create({ users, items, dim: 4, seed: 1 });
    const [bpr, soft] = adam.trainListEpoch(softLabelEpoch(lists, { bprWeight: 0 }));
    expect(bpr!.every(Number.isNaN)).toBe(true);
    expect(soft!.every(Number.isFinite)).toBe(true);
  });

  it("refuses a wrong score table, lists of the wrong width, a column outside the rows, and a missing teacher before any step", () => {
    const mf = MatrixFactorization.create({ users, items, dim: 4, seed: 1 });
    const before = Float32Array.from(mf.userFactors);
    const lists = epochLists(1);
    expect(() => mf.trainListEpoch(softLabelEpoch(lists, { teacher: { table: new Float32Array(10) } }))).toThrow(
      /score table has 10 scores for 300 × 200/,
    );
    expect(() => mf.trainListEpoch({ ...softLabelEpoch(lists), width: 30 })).toThrow(
      /batch 0 has 256 rows of width 22, expected 256 of 30/,
    );
    const outside = { term: { kind: "plackett-luce", first: 2, count: 10, below: 11 }, weight: 1 } as const;
    expect(() => mf.trainListEpoch({ ...softLabelEpoch(lists), terms: [outside] })).toThrow(
      /plackett-luce reads columns 2 … 22 of rows of 22/,
    );
    const { teacher: _, ...withoutTeacher } = softLabelEpoch(lists);
    expect(() => mf.trainListEpoch(withoutTeacher)).toThrow(/reads the teacher's scores, and no teacher was given/);
    expect(Array.from(mf.userFactors)).toEqual(Array.from(before));
  });
});

// The native list kernel (`@kdrec/native-kernels`, registered by initEngine on native TensorFlow)
// runs one thread's epochs in place of the WebAssembly kernel: the same tables and losses to the bit.
describeEachBackend("trainListEpoch's native list kernel", () => {
  it("is registered on native TensorFlow", () => {
    expect(arenaKernel(KdrecListBatches)).toBeDefined();
  });

  /** The same epochs through the native kernel and through the WebAssembly one. */
  const bothWays = async (config: MatrixFactorizationConfig, epochs: ReadonlyArray<ListEpoch>) => {
    const [native, wasm] = [MatrixFactorization.create(config), MatrixFactorization.create(config)];
    const nativeLosses = epochs.map((epoch) => native.trainListEpoch(epoch));
    const wasmLosses = await withoutArenaKernel(KdrecListBatches, () =>
      epochs.map((epoch) => wasm.trainListEpoch(epoch)),
    );
    expect(nativeLosses).toEqual(wasmLosses);
    expect(native.userFactors).toEqual(wasm.userFactors);
    expect(native.itemFactors).toEqual(wasm.itemFactors);
    expect(native.itemBiases).toEqual(wasm.itemBiases);
    expect(native.trainingState().optimizers.items!.step).toBe(wasm.trainingState().optimizers.items!.step);
  };

  // Dimensions with and without a partial vector, below and from the item-by-item gradient sums.
  it.each([8, 13, 64, 67].flatMap((dim) => [true, false].map((itemBias) => [dim, itemBias] as const)))(
    "gives the WebAssembly kernel's tables and losses to the bit with BPR + soft labels (dim %i, item biases %s)",
    async (dim, itemBias) => {
      const config: MatrixFactorizationConfig = { users, items, dim, seed: 4, l2: 0.01, itemBias };
      await bothWays(
        config,
        [1, 2].map((seed) => softLabelEpoch(epochLists(seed), { temperature: seed === 1 ? 0.5 : 2 })),
      );
    },
  );

  it.each([13, 64].flatMap((dim) => otherMixtures.map(([name, terms]) => [dim, name, terms] as const)))(
    "at dim %i, gives the WebAssembly kernel's tables and losses to the bit with %s",
    async (dim, _, terms) => {
      const config: MatrixFactorizationConfig = { users, items, dim, seed: 5, l2: 0.01, itemBias: true };
      await bothWays(
        config,
        [1, 2].map((seed) => ({ ...softLabelEpoch(epochLists(seed)), terms })),
      );
    },
  );

  it("with the teacher's MF tables instead of its score table, the same to the bit", async () => {
    const config: MatrixFactorizationConfig = { users, items, dim: 16, seed: 6, itemBias: true };
    await bothWays(config, [softLabelEpoch(epochLists(3), { teacher: { factors: teacherFactors } })]);
  });
}, ["tensorflow"]);

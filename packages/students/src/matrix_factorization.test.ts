import { checkTensorLeak, KdrecScoreTopKExcluding, KdrecTopKExcluding, seededRandom } from "@kdrec/core";
import {
  asItemLists,
  leaveLastOut,
  pairwiseBatches,
  syntheticDataset,
  uniformNegatives,
  userItemSets,
} from "@kdrec/data";
import { rowBprGradient, rowBprLoss, softLabelCrossEntropy } from "@kdrec/losses";
import { evaluateFullRanking } from "@kdrec/metrics";
import { describeEachBackend, withoutEngineKernel } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { expect, it } from "vitest";
import { MatrixFactorization } from "./matrix_factorization.js";

const bpr = (scores: tf.Tensor2D) => rowBprLoss(scores);

describeEachBackend("MatrixFactorization", () => {
  it.each([
    [3, "wasm simd"],
    [6, "wasm simd"],
    [6, "javascript"],
  ] as const)(
    "updates exactly the rows TF.js autodiff through the full tables would (SGD, L2, item biases; dim %i, %s)",
    (dim, kernels) => {
      const config = {
        users: 5,
        items: 7,
        dim,
        seed: 3,
        l2: 0.01,
        itemBias: true,
        optimizer: { kind: "sgd", learningRate: 0.5 },
      } as const;
      const model = MatrixFactorization.create(config, { simd: kernels === "wasm simd" });
      const before = {
        p: Float32Array.from(model.userFactors),
        q: Float32Array.from(model.itemFactors),
        b: Float32Array.from(model.itemBiases!),
      };
      const batch = { users: Int32Array.from([0, 3, 0]), items: Int32Array.from([1, 2, 2, 6, 4, 1]), width: 2 };
      const teacher = tf.tensor2d([
        [1, 0],
        [0.5, 2],
        [0, 0],
      ]);
      const loss = (s: tf.Tensor2D) => tf.add(bpr(s), softLabelCrossEntropy(s, teacher, 2)) as tf.Scalar;
      model.trainStep(batch, loss);

      // The same objective differentiated by TF.js through gathers on the whole tables.
      const grads = tf.grads((p: tf.Tensor, q: tf.Tensor, b: tf.Tensor) => {
        const u = tf.gather(p, tf.tensor1d(batch.users, "int32"));
        const i = tf.reshape(tf.gather(q, tf.tensor1d(batch.items, "int32")), [3, 2, dim]);
        const scores = tf.add(
          tf.sum(tf.mul(i, tf.expandDims(u, 1)), 2),
          tf.reshape(tf.gather(b, tf.tensor1d(batch.items, "int32")), [3, 2]),
        );
        const touched = (table: tf.Tensor, rows: number[]) =>
          tf.sum(tf.square(tf.gather(table, tf.tensor1d(rows, "int32"))));
        const penalty = tf.mul(tf.add(touched(p, [0, 3]), touched(q, [1, 2, 6, 4])), 0.01 / 3);
        return tf.add(loss(scores as tf.Tensor2D), penalty) as tf.Scalar;
      })([tf.tensor2d(before.p, [5, dim]), tf.tensor2d(before.q, [7, dim]), tf.tensor1d(before.b)]);
      const expected = (start: Float32Array, g: tf.Tensor) =>
        Array.from(start, (x, k) => expect.closeTo(x - 0.5 * g.dataSync()[k]!, 5));
      expect(Array.from(model.userFactors)).toEqual(expected(before.p, grads[0]!));
      expect(Array.from(model.itemFactors)).toEqual(expected(before.q, grads[1]!));
      expect(Array.from(model.itemBiases!)).toEqual(expected(before.b, grads[2]!));
      expect(model.parameterCount).toBe((5 + 7) * dim + 7);
    },
  );

  it("learns to rank with BPR on synthetic data, leaving no tensor behind across epochs", async () => {
    const split = leaveLastOut(syntheticDataset({ seed: 4, users: 150, items: 200 }).interactions);
    const sampler = uniformNegatives(userItemSets(split.train));
    if (E.isLeft(sampler)) throw new Error(sampler.left.message);
    const model = MatrixFactorization.create({
      users: 150,
      items: 200,
      dim: 16,
      seed: 1,
      optimizer: { kind: "adam", learningRate: 0.01 },
    });
    const evaluate = async () => {
      const scorer = model.allItemScorer();
      const report = await evaluateFullRanking(scorer.score, { heldOut: split.valid, exclude: [split.train] });
      scorer.dispose();
      if (E.isLeft(report)) throw new Error(report.left.message);
      return report.right.summary["ndcg@10"]!.mean;
    };
    const untrained = await evaluate();
    const losses: number[] = [];
    const epochs = tf.getBackend() === "cpu" ? 3 : 15;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const leak = await checkTensorLeak(() => {
        let total = 0;
        let batches = 0;
        for (const b of pairwiseBatches(split.train, sampler.right, 256, seededRandom(epoch))) {
          total += model.trainStep(asItemLists(b), bpr);
          batches++;
        }
        losses.push(total / batches);
      }, `epoch ${epoch}`);
      expect(E.isRight(leak)).toBe(true);
    }
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    if (tf.getBackend() !== "cpu") expect(await evaluate()).toBeGreaterThan(untrained + 0.03);
  });

  it("trains to the same tables with the WebAssembly kernels as with the JavaScript loops (Adam, L2, biases)", () => {
    const split = leaveLastOut(syntheticDataset({ seed: 5, users: 60, items: 90 }).interactions);
    const sampler = uniformNegatives(userItemSets(split.train));
    if (E.isLeft(sampler)) throw new Error(sampler.left.message);
    const config = { users: 60, items: 90, dim: 12, seed: 2, l2: 0.01, itemBias: true } as const;
    const [simd, plain] = [true, false].map((simd) => {
      const model = MatrixFactorization.create(
        { ...config, optimizer: { kind: "adam", learningRate: 0.01 } },
        { simd },
      );
      for (let epoch = 0; epoch < 2; epoch++)
        for (const b of pairwiseBatches(split.train, sampler.right, 64, seededRandom(epoch)))
          model.trainStep(asItemLists(b), bpr);
      return model;
    });
    const close = (a: Float32Array, b: Float32Array) =>
      expect(Array.from(a)).toEqual(Array.from(b, (x) => expect.closeTo(x, 4)));
    close(simd!.userFactors, plain!.userFactors);
    close(simd!.itemFactors, plain!.itemFactors);
    close(simd!.itemBiases!, plain!.itemBiases!);
  });

  it("a closed-form step updates the same rows as the TF.js step on the same loss (Adam, L2, biases, 2 epochs)", () => {
    const split = leaveLastOut(syntheticDataset({ seed: 6, users: 60, items: 90 }).interactions);
    const sampler = uniformNegatives(userItemSets(split.train));
    if (E.isLeft(sampler)) throw new Error(sampler.left.message);
    const config = { users: 60, items: 90, dim: 8, seed: 2, l2: 0.01, itemBias: true } as const;
    const train = (step: (model: MatrixFactorization, batch: ReturnType<typeof asItemLists>) => number) => {
      const model = MatrixFactorization.create({ ...config, optimizer: { kind: "adam", learningRate: 0.01 } });
      const losses: number[] = [];
      for (let epoch = 0; epoch < 2; epoch++)
        for (const b of pairwiseBatches(split.train, sampler.right, 64, seededRandom(epoch)))
          losses.push(step(model, asItemLists(b)));
      return { model, losses };
    };
    const reference = train((model, batch) => model.trainStep(batch, bpr));
    const closed = train((model, batch) =>
      model.trainStepWithGradient(batch, (scores, gradient) =>
        rowBprGradient()({ rows: batch.users.length, width: 2, student: scores }, 1, gradient),
      ),
    );
    expect(closed.losses).toEqual(reference.losses.map((x) => expect.closeTo(x, 5)));
    // Float rounding differs (float64 here, float32 in TF.js); after ~40 Adam steps rows agree to 1e-4.
    const close = (a: Float32Array, b: Float32Array) =>
      expect(Array.from(a)).toEqual(Array.from(b, (x) => expect.closeTo(x, 4)));
    close(closed.model.userFactors, reference.model.userFactors);
    close(closed.model.itemFactors, reference.model.itemFactors);
    close(closed.model.itemBiases!, reference.model.itemBiases!);
    // And training moved them: the comparison is not between two untouched tables.
    const untouched = MatrixFactorization.create({ ...config });
    expect(Array.from(closed.model.itemFactors)).not.toEqual(Array.from(untouched.itemFactors));
  });

  it("a representation step hands over the first distinct users' and items' rows and trains them by their gradients", () => {
    const config = { users: 6, items: 8, dim: 3, seed: 4, optimizer: { kind: "sgd", learningRate: 0.5 } } as const;
    const model = MatrixFactorization.create(config);
    const before = { users: model.userFactors.slice(), items: model.itemFactors.slice() };
    // Users 4, 1, 4 (distinct: 4, 1); items 7, 2 | 2, 5 | 7, 0 (distinct: 7, 2, 5, 0).
    const batch = { users: Int32Array.of(4, 1, 4), items: Int32Array.of(7, 2, 2, 5, 7, 0), width: 2 };
    let seen: { users: number[]; items: number[]; userRows: number[] } | undefined;
    model.trainStepWithRepresentations(batch, { users: 1, items: 3 }, (_scores, rows, gradients) => {
      seen = { users: [...rows.users], items: [...rows.items], userRows: [...rows.userRows] };
      // A loss that reads the rows only: Σ of user 4's first coordinate and item 2's second.
      gradients.userRows[0] = 1;
      gradients.itemRows[1 * 3 + 1] = 1;
      return 0;
    });
    expect(seen).toEqual({ users: [4], items: [7, 2, 5], userRows: [...before.users.subarray(12, 15)] });
    // SGD: exactly those two coordinates moved, by −lr × 1; everything else stayed.
    const movedUsers = [...model.userFactors].map((v, k) => v - before.users[k]!);
    const movedItems = [...model.itemFactors].map((v, k) => v - before.items[k]!);
    expect(movedUsers.map((d, k) => (k === 12 ? d : Math.abs(d)))).toEqual(
      movedUsers.map((_, k) => (k === 12 ? expect.closeTo(-0.5, 6) : 0)),
    );
    expect(movedItems.map((d, k) => (k === 7 ? d : Math.abs(d)))).toEqual(
      movedItems.map((_, k) => (k === 7 ? expect.closeTo(-0.5, 6) : 0)),
    );
  });

  it("a representation step with no row gradient is the closed-form step", () => {
    const config = {
      users: 6,
      items: 8,
      dim: 3,
      seed: 4,
      l2: 0.01,
      optimizer: { kind: "adam", learningRate: 0.05 },
    } as const;
    const batch = { users: Int32Array.of(4, 1, 4), items: Int32Array.of(7, 2, 2, 5, 7, 0), width: 2 };
    const bprGradient = (scores: Float32Array, gradient: Float32Array) =>
      rowBprGradient()({ rows: 3, width: 2, student: scores }, 1, gradient);
    const closed = MatrixFactorization.create(config);
    const withRows = MatrixFactorization.create(config);
    for (let step = 0; step < 3; step++) {
      closed.trainStepWithGradient(batch, bprGradient);
      withRows.trainStepWithRepresentations(batch, { users: 2, items: 4 }, (scores, _rows, gradients) =>
        bprGradient(scores, gradients.scores),
      );
    }
    expect(withRows.userFactors).toEqual(closed.userFactors);
    expect(withRows.itemFactors).toEqual(closed.itemFactors);
  });

  it("grows for new users and items, keeping every old row and its optimizer state", () => {
    const model = MatrixFactorization.create({ users: 4, items: 5, dim: 3, seed: 1, itemBias: true });
    model.trainStepWithGradient(
      { users: Int32Array.of(0, 3), items: Int32Array.of(1, 2, 4, 0), width: 2 },
      (scores, gradient) => rowBprGradient()({ rows: 2, width: 2, student: scores }, 1, gradient),
    );
    const bigger = model.grown(6, 8);
    expect(bigger.config).toMatchObject({ users: 6, items: 8, dim: 3 });
    expect(Array.from(bigger.userFactors.subarray(0, 12))).toEqual(Array.from(model.userFactors));
    expect(Array.from(bigger.itemFactors.subarray(0, 15))).toEqual(Array.from(model.itemFactors));
    expect(Array.from(bigger.itemBiases!.subarray(0, 5))).toEqual(Array.from(model.itemBiases!));
    expect(Array.from(bigger.itemBiases!.subarray(5))).toEqual([0, 0, 0]);
    expect(bigger.userFactors.subarray(12).some((x) => x !== 0)).toBe(true); // new rows initialised
    const [before, after] = [model.trainingState(), bigger.trainingState()];
    expect(after.optimizers.users!.step).toBe(before.optimizers.users!.step);
    expect(Array.from((after.optimizers.items!.m as Float32Array).subarray(0, 15))).toEqual(
      Array.from(before.optimizers.items!.m as Float32Array),
    );
    expect(() => model.grown(3, 5)).toThrow(RangeError);
  });

  it("top-K on the engine (the scoring kernel, or a product then the engine's selection kernel or a pass over the read-back scores) equals the fused kernel, seen items left out", async () => {
    const split = leaveLastOut(syntheticDataset({ seed: 8, users: 70, items: 301 }).interactions); // 301: rows padded to 304
    const model = MatrixFactorization.create({ users: 70, items: 301, dim: 5, seed: 4, itemBias: true });
    model.itemBiases!.set(Float32Array.from({ length: 301 }, (_, i) => Math.sin(i) / 10));
    const seen = userItemSets(split.train);
    const users = Int32Array.from({ length: 70 }, (_, u) => 69 - u);
    const [engine, fused] = (["engine", "fused"] as const).map((path) => model.topK(users, 12, seen, { path }));
    // On tensorflow, "engine" scores and selects in KdrecScoreTopKExcluding; without it, a product
    // then KdrecTopKExcluding; without both, a product then a pass in the arena.
    const engineTopK = () => model.topK(users, 12, seen, { path: "engine" });
    const product = await withoutEngineKernel(KdrecScoreTopKExcluding, engineTopK);
    const readBack = await withoutEngineKernel(KdrecScoreTopKExcluding, () =>
      withoutEngineKernel(KdrecTopKExcluding, engineTopK),
    );
    for (const other of [fused!, product, readBack]) {
      expect(Array.from(engine!.items)).toEqual(Array.from(other.items));
      expect(Array.from(engine!.scores)).toEqual(Array.from(other.scores, (x) => expect.closeTo(x, 4)));
    }
    // No seen item is recommended, and each list is sorted.
    users.forEach((u, b) => {
      const list = Array.from(engine!.items.subarray(b * 12, (b + 1) * 12));
      for (const i of list)
        expect(Array.from(seen.items.subarray(seen.offsets[u]!, seen.offsets[u + 1]!))).not.toContain(i);
      const scores = Array.from(engine!.scores.subarray(b * 12, (b + 1) * 12));
      expect(scores).toEqual([...scores].sort((x, y) => y - x));
    });
  });
});

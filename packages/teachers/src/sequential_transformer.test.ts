import { checkTensorLeak, readTidy, seededRandom } from "@kdrec/core";
import {
  asItemLists,
  leaveLastOut,
  pairwiseBatches,
  selectRows,
  sequencePositions,
  syntheticDataset,
  uniformNegatives,
  userItemSets,
} from "@kdrec/data";
import { rowBprLoss } from "@kdrec/losses";
import { evaluateFullRanking } from "@kdrec/metrics";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { sequenceWindows } from "./sequence_windows.js";
import { SequentialTransformer } from "./sequential_transformer.js";

const bpr = (scores: tf.Tensor2D) => rowBprLoss(scores);

describe("sequenceWindows", () => {
  const histories = { numItems: 20, offsets: Int32Array.from([0, 5]), items: Int32Array.from([10, 11, 12, 13, 14]) };
  const users = Int32Array.from([0, 0, 0]);

  it("causal: one window serves every row whose previous item it holds; a row without history reads nothing", () => {
    // ends 4, 2, 0 with length 3: window [11, 12, 13]; row e=4 reads 13 (slot 2), e=2 reads 11 (slot 0)
    const w = sequenceWindows(users, Int32Array.from([4, 2, 0]), histories, {
      length: 3,
      bidirectional: false,
      mask: 21,
    });
    expect(w.windows).toBe(1);
    expect(Array.from(w.tokens)).toEqual([11, 12, 13]);
    expect(Array.from(w.readAt)).toEqual([2, 0, -1]);
  });

  it("bidirectional: each row's own item is masked and read, at most a fifth of a window masked per copy", () => {
    // ends 4 and 3 share the window of positions 2..4, one mask per copy; end 1 gets [pad, 10, mask]
    const w = sequenceWindows(users, Int32Array.from([4, 3, 1]), histories, {
      length: 3,
      bidirectional: true,
      mask: 21,
    });
    expect(w.windows).toBe(3);
    expect(Array.from(w.tokens)).toEqual([12, 13, 21, 12, 21, 14, 20, 10, 21]);
    expect(Array.from(w.valid)).toEqual([1, 1, 1, 1, 1, 1, 0, 1, 1]);
    expect(Array.from(w.readAt)).toEqual([2, 4, 8]);
  });
});

describeEachBackend("SequentialTransformer", (backend) => {
  const split = leaveLastOut(syntheticDataset({ seed: 4, users: 120, items: 150 }).interactions);
  const small = { items: 150, hidden: 16, blocks: 1, heads: 2, maxLength: 8, seed: 1 } as const;

  it("scores a user's next item in training as its scorer does from the same history (SASRec, no dropout)", () => {
    const model = SequentialTransformer.create({ ...small, dropout: 0, learningRate: 1e-9 }, split.train);
    // One row per user (their latest training interaction): each row's window is its prefix.
    const users = Int32Array.from([3, 7, 11]);
    const rows = Int32Array.from(users, (u) => {
      for (let r = split.train.users.length - 1; r >= 0; r--) if (split.train.users[r] === u) return r;
      return -1;
    });
    const items = Int32Array.from([5, 9, 17, 2, 100, 149]);
    let seen: Float32Array = new Float32Array(0);
    model.trainStep({ users, items, width: 2, rows }, (scores) => {
      seen = Float32Array.from(scores.dataSync());
      return tf.mul(tf.sum(scores), 0) as tf.Scalar;
    });
    // The same rows from the scorer, given histories that end before each row's interaction.
    const positions = sequencePositions(split.train);
    const cut = new Map(Array.from(users, (u, k) => [u, positions[rows[k]!]!]));
    const kept = Int32Array.from({ length: split.train.users.length }, (_, r) => r).filter(
      (r) => positions[r]! < (cut.get(split.train.users[r]!) ?? Number.POSITIVE_INFINITY),
    );
    const scorer = model.allItemScorer(selectRows(split.train, kept));
    const all = readTidy(() => scorer.score(users));
    scorer.dispose();
    expect(Array.from(seen)).toEqual(
      Array.from(items, (item, k) => expect.closeTo(all[Math.floor(k / 2) * 150 + item]!, 4)),
    );
    model.dispose();
  });

  for (const direction of ["causal", "bidirectional"] as const) {
    it(`${direction === "causal" ? "SASRec" : "BERT4Rec"} learns next items, without leaking tensors`, async () => {
      const sampler = uniformNegatives(userItemSets(split.train));
      if (E.isLeft(sampler)) throw new Error(sampler.left.message);
      const model = SequentialTransformer.create({ ...small, direction, learningRate: 0.01 }, split.train);
      const evaluate = async () => {
        const scorer = model.allItemScorer();
        const report = await evaluateFullRanking(scorer.score, { heldOut: split.valid, exclude: [split.train] });
        scorer.dispose();
        if (E.isLeft(report)) throw new Error(report.left.message);
        return report.right.summary["ndcg@10"]!.mean;
      };
      const untrained = await evaluate();
      // The pure-JS backend checks the path and the tensor count on a few batches.
      const native = backend !== "cpu";
      const losses: number[] = [];
      for (let epoch = 0; epoch < (native ? 6 : 1); epoch++) {
        const leak = await checkTensorLeak(() => {
          let total = 0;
          let batches = 0;
          for (const b of pairwiseBatches(split.train, sampler.right, 256, seededRandom(epoch), { byUser: true })) {
            if (!native && batches === 2) break;
            total += model.trainStep(asItemLists(b), bpr);
            batches++;
          }
          losses.push(total / batches);
        }, `epoch ${epoch}`);
        expect(E.isRight(leak)).toBe(true);
      }
      expect(losses.every(Number.isFinite)).toBe(true);
      if (native) {
        expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
        expect(await evaluate()).toBeGreaterThan(untrained + 0.02);
      }
      const features = model.features(Int32Array.from([0, 1]));
      expect(features.user.shape).toEqual([2, 16]);
      expect(features.blocks).toHaveLength(1);
      tf.dispose([features.user, ...features.blocks]);
      model.dispose();
    });
  }

  it("resumes from its training state to the same weights (dropout masks included)", () => {
    const sampler = uniformNegatives(userItemSets(split.train));
    if (E.isLeft(sampler)) throw new Error(sampler.left.message);
    const batches = [...pairwiseBatches(split.train, sampler.right, 64, seededRandom(3), { byUser: true })].slice(0, 4);
    const run = (interrupt: boolean) => {
      let model = SequentialTransformer.create({ ...small, learningRate: 0.01 }, split.train);
      batches.forEach((b, k) => {
        if (interrupt && k === 2) {
          const state = model.trainingState();
          model.dispose();
          model = SequentialTransformer.create({ ...small, seed: 99, learningRate: 0.01 }, split.train);
          model.restoreTrainingState(state);
        }
        model.trainStep(asItemLists(b), bpr);
      });
      const weights = model.snapshot().flatMap((w) => Array.from(w));
      model.dispose();
      return weights;
    };
    expect(run(true)).toEqual(run(false));
  });

  it("freezes into a teacher that scores each row from the history before its interaction", () => {
    const model = SequentialTransformer.create({ ...small, dropout: 0, learningRate: 1e-9 }, split.train);
    // Two rows of user 3 (different prefixes) and one of user 7.
    const rowsOf = (u: number) => Array.from(split.train.users.keys()).filter((r) => split.train.users[r] === u);
    const rows = Int32Array.from([rowsOf(3)[0]!, rowsOf(3)[4]!, rowsOf(7)[2]!]);
    const users = Int32Array.from(rows, (r) => split.train.users[r]!);
    const items = Int32Array.from([5, 9, 5, 9, 100, 149]);
    let trained: Float32Array = new Float32Array(0);
    model.trainStep({ users, items, width: 2, rows }, (scores) => {
      trained = Float32Array.from(scores.dataSync());
      return tf.mul(tf.sum(scores), 0) as tf.Scalar;
    });
    const teacher = model.frozenTeacher({ name: "sasrec", users: 120 });
    model.dispose(); // the teacher keeps its own snapshot
    const before = tf.memory().numTensors;
    const byRow = readTidy(() => teacher.scoreLists(users, items, 2, rows));
    expect(Array.from(byRow)).toEqual(Array.from(trained, (x) => expect.closeTo(x, 4)));
    expect(byRow[0]).not.toBeCloseTo(byRow[2]!, 4); // same user and items, different histories
    const whole = readTidy(() => teacher.scoreLists(users, items, 2));
    const all = readTidy(() => teacher.scoreAll(users));
    expect(Array.from(whole)).toEqual(
      Array.from(items, (item, k) => expect.closeTo(all[Math.floor(k / 2) * 150 + item]!, 4)),
    );
    expect(teacher.batchOrder).toBe("by-user");
    expect(teacher.featureWidths).toEqual([16, 16]);
    expect(tf.memory().numTensors).toBe(before);
    teacher.dispose();
  });

  it("reads only the most recent maxLength items of a longer history", () => {
    const model = SequentialTransformer.create({ ...small, maxLength: 4 }, split.train);
    const positions = sequencePositions(split.train);
    const lengths = new Map<number, number>();
    for (let r = 0; r < split.train.users.length; r++)
      lengths.set(split.train.users[r]!, Math.max(lengths.get(split.train.users[r]!) ?? 0, positions[r]! + 1));
    const user = [...lengths.entries()].find(([, n]) => n > 6)![0];
    const recent = Int32Array.from({ length: split.train.users.length }, (_, r) => r).filter(
      (r) => split.train.users[r] !== user || positions[r]! >= lengths.get(user)! - 4,
    );
    const whole = model.allItemScorer();
    const cut = model.allItemScorer(selectRows(split.train, recent));
    const a = readTidy(() => whole.score(Int32Array.of(user)));
    const b = readTidy(() => cut.score(Int32Array.of(user)));
    expect(Array.from(a)).toEqual(Array.from(b));
    whole.dispose();
    cut.dispose();
    model.dispose();
  });

  it("refuses a hidden size not divisible by the heads, and rows without their interactions", () => {
    expect(() => SequentialTransformer.create({ items: 10, hidden: 10, heads: 3 }, split.train)).toThrow(
      /hidden size 10 is not divisible by 3 heads/,
    );
    const model = SequentialTransformer.create(small, split.train);
    expect(() => model.trainStep({ users: Int32Array.of(0), items: Int32Array.of(1, 2), width: 2 }, bpr)).toThrow(
      /no rows/,
    );
    model.dispose();
  });
});

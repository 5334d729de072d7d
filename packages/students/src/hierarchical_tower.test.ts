import { checkTensorLeak, readTidy, seededRandom } from "@kdrec/core";
import {
  asItemLists,
  fillGroups,
  itemFeatureLists,
  leaveLastOut,
  pairwiseBatches,
  selectRows,
  sequencePositions,
  syntheticDataset,
  uniformNegatives,
  userFeatureLists,
  userItemSets,
} from "@kdrec/data";
import { rowBprLoss } from "@kdrec/losses";
import { evaluateFullRanking } from "@kdrec/metrics";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { HierarchicalAttentionTower } from "./hierarchical_tower.js";

const bpr = (scores: tf.Tensor2D) => rowBprLoss(scores);

describe("fillGroups", () => {
  const grouped = (times: number[] | undefined, items: number[], groups: number, perGroup: number) => {
    const out = new Int32Array(groups * perGroup).fill(0);
    const valid = new Float32Array(groups * perGroup);
    const t = times === undefined ? undefined : Float64Array.from(times);
    fillGroups(Int32Array.from(items), t, 0, items.length, { groups, perGroup, sessionGap: 3600 }, 0, out, valid);
    return { out: Array.from(out), valid: Array.from(valid) };
  };

  it("cuts sessions at gaps longer than sessionGap and keeps the latest ones, right-aligned", () => {
    // sessions [1 2 3] [4 5] [6 7]: the last two are kept
    const g = grouped([0, 10, 20, 5000, 5010, 9000, 9001], [1, 2, 3, 4, 5, 6, 7], 2, 2);
    expect(g.out).toEqual([4, 5, 6, 7]);
    // one session longer than perGroup keeps its latest items; the earlier group stays empty
    const h = grouped([0, 1, 2], [1, 2, 3], 2, 2);
    expect(h.out).toEqual([0, 0, 2, 3]);
    expect(h.valid).toEqual([0, 0, 1, 1]);
  });

  it("without timestamps, groups runs of perGroup consecutive items", () => {
    expect(grouped(undefined, [1, 2, 3, 4, 5, 6, 7], 2, 3).out).toEqual([2, 3, 4, 5, 6, 7]);
  });
});

describeEachBackend("HierarchicalAttentionTower", (backend) => {
  const split = leaveLastOut(syntheticDataset({ seed: 4, users: 120, items: 150 }).interactions);
  const small = { items: 150, dim: 8, groups: 4, perGroup: 4, seed: 1 } as const;
  // The first two training rows, for a few quick steps.
  const twoRows = asItemLists({
    users: Int32Array.from([split.train.users[0]!, split.train.users[1]!]),
    positives: Int32Array.from([split.train.items[0]!, split.train.items[1]!]),
    negatives: Int32Array.from([3, 4]),
    rows: Int32Array.from([0, 1]),
  });

  it("has no per-user parameters, and scores a training row as its scorer does from the same history", () => {
    const tower = HierarchicalAttentionTower.create({ ...small, learningRate: 1e-9 }, split.train);
    expect(tower.parameterCount).toBe(151 * 8 + 150 + 2 * (8 * 8 + 8 + 8) + 8 * 8 + 8);
    const positions = sequencePositions(split.train);
    const users = Int32Array.from([3, 7, 11]);
    // each user's latest training row: its history is everything before it
    const rows = Int32Array.from(users, (u) => {
      let best = -1;
      for (let r = 0; r < split.train.users.length; r++)
        if (split.train.users[r] === u && (best < 0 || positions[r]! > positions[best]!)) best = r;
      return best;
    });
    const items = Int32Array.from([5, 9, 17, 2, 100, 149]);
    let seen: Float32Array = new Float32Array(0);
    tower.trainStep({ users, items, width: 2, rows }, (scores) => {
      seen = Float32Array.from(scores.dataSync());
      return tf.mul(tf.sum(scores), 0) as tf.Scalar;
    });
    const kept = Int32Array.from({ length: split.train.users.length }, (_, r) => r).filter((r) => !rows.includes(r));
    const scorer = tower.allItemScorer(selectRows(split.train, kept));
    const all = readTidy(() => scorer.score(users));
    scorer.dispose();
    expect(Array.from(seen)).toEqual(
      Array.from(items, (item, k) => expect.closeTo(all[Math.floor(k / 2) * 150 + item]!, 4)),
    );
    tower.dispose();
  });

  it("learns to rank from histories alone, without leaking tensors", async () => {
    const sampler = uniformNegatives(userItemSets(split.train));
    if (E.isLeft(sampler)) throw new Error(sampler.left.message);
    const tower = HierarchicalAttentionTower.create({ ...small, learningRate: 0.01 }, split.train);
    const evaluate = async () => {
      const scorer = tower.allItemScorer();
      const report = await evaluateFullRanking(scorer.score, { heldOut: split.valid, exclude: [split.train] });
      scorer.dispose();
      if (E.isLeft(report)) throw new Error(report.left.message);
      return report.right.summary["ndcg@10"]!.mean;
    };
    const untrained = await evaluate();
    const native = backend !== "cpu";
    const losses: number[] = [];
    for (let epoch = 0; epoch < (native ? 8 : 1); epoch++) {
      const leak = await checkTensorLeak(() => {
        let total = 0;
        let batches = 0;
        for (const b of pairwiseBatches(split.train, sampler.right, 256, seededRandom(epoch))) {
          if (!native && batches === 2) break;
          total += tower.trainStep(asItemLists(b), bpr);
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
    const features = tower.features(Int32Array.from([0, 1]));
    expect([features.level1.shape, features.level2.shape]).toEqual([
      [2, 8],
      [2, 8],
    ]);
    tf.dispose([features.level1, features.level2]);
    tower.dispose();
  });

  it("with recency embeddings, reads the order of a session; without, only its items", () => {
    const history = (items: number[]) => ({
      users: new Int32Array(items.length),
      items: Int32Array.from(items),
      timestamps: Float64Array.from(items, (_, k) => k),
      userIds: ["u"],
      itemIds: split.train.itemIds,
    });
    const orderMatters = (positions: boolean) => {
      const tower = HierarchicalAttentionTower.create({ ...small, learningRate: 0.05, positions }, split.train);
      for (let step = 0; step < 5; step++) tower.trainStep(twoRows, bpr);
      const scores = (items: number[]) => {
        const scorer = tower.allItemScorer(history(items));
        const out = readTidy(() => scorer.score(Int32Array.from([0])));
        scorer.dispose();
        return out;
      };
      const [forward, backward] = [scores([1, 2, 3]), scores([3, 2, 1])];
      const count = tower.parameterCount;
      tower.dispose();
      return { gap: Math.max(...forward.map((x, k) => Math.abs(x - backward[k]!))), count };
    };
    const plain = orderMatters(false);
    const recency = orderMatters(true);
    expect(plain.gap).toBeLessThan(1e-5);
    expect(recency.gap).toBeGreaterThan(1e-3);
    expect(recency.count - plain.count).toBe((4 + 4) * 8);
  });

  it("with item categories, an item's vector is its row plus its categories' row", () => {
    // Two categories by parity.
    const categories = itemFeatureLists(
      {
        categoryNames: ["even", "odd"],
        categoryOffsets: Int32Array.from({ length: 151 }, (_, i) => i),
        categoryIndex: Int32Array.from({ length: 150 }, (_, i) => i % 2),
      },
      150,
    )!;
    const towers = [
      HierarchicalAttentionTower.create(small, split.train, categories),
      HierarchicalAttentionTower.create(small, split.train),
    ];
    expect(towers[0]!.namedConstants()).toMatchObject([{ name: "item_categories", shape: [151, 2] }]);
    expect(towers[1]!.namedConstants()).toEqual([]);
    const [withCategories, without] = towers.map((tower) => {
      // Items 1, 2 and 3 get item 0's row: they differ by their categories alone.
      const weights = tower
        .namedWeights()
        .map((w) =>
          w.name === "items"
            ? Float32Array.from(w.values, (v, j) => (j >= 8 && j < 32 ? w.values[j % 8]! : v))
            : w.values,
        );
      tower.restore(weights);
      const scorer = tower.allItemScorer();
      const scores = readTidy(() => scorer.score(Int32Array.of(0, 1))) as Float32Array;
      scorer.dispose();
      tower.dispose();
      return [0, 1].map((b) => [1, 2, 3].map((i) => scores[b * 150 + i]!));
    });
    for (const [one, two, three] of withCategories!) {
      expect(one).toBeCloseTo(three!, 5); // both odd
      expect(Math.abs(one! - two!)).toBeGreaterThan(1e-4); // odd against even
    }
    for (const [one, two, three] of without!)
      expect([two, three]).toEqual([expect.closeTo(one!, 5), expect.closeTo(one!, 5)]);
  });

  it("with user features, a user's vector is the history's plus their features' mean row", () => {
    // Users 0 and 2 share a feature, user 1 has the other.
    const users = 120;
    const features = userFeatureLists(
      { columns: { group: Array.from({ length: users }, (_, u) => (u === 1 ? "b" : "a")) } },
      users,
    )!;
    const tower = HierarchicalAttentionTower.create(small, split.train, undefined, features);
    const [means] = tower.namedConstants();
    expect(means).toMatchObject({ name: "user_features", shape: [users, 2] });
    const rows = tower.namedWeights().find((w) => w.name === "userFeatures")!;
    expect(rows.shape).toEqual([2, small.dim]);
    // Same seed, same history weights: the difference from the plain tower is the feature term.
    const plain = HierarchicalAttentionTower.create(small, split.train);
    const vectors = (model: HierarchicalAttentionTower) => {
      const { level1, level2 } = model.features(Int32Array.of(0, 1, 2));
      const values = Array.from(level2.dataSync());
      tf.dispose([level1, level2]);
      return [0, 1, 2].map((b) => values.slice(b * small.dim, (b + 1) * small.dim));
    };
    const [withFeatures, without] = [vectors(tower), vectors(plain)];
    [0, 1, 2].forEach((u) => {
      const feature = means!.values[u * 2]! === 1 ? 0 : 1; // the user's one feature
      const added = withFeatures[u]!.map((x, c) => x - without[u]![c]!);
      expect(added).toEqual(
        Array.from(rows.values.subarray(feature * small.dim, (feature + 1) * small.dim), (x) => expect.closeTo(x, 5)),
      );
    });
    expect(means!.values[0]).toBe(means!.values[4]); // users 0 and 2 alike
    expect(means!.values[0]).not.toBe(means!.values[2]); // user 1 not
    tower.dispose();
    plain.dispose();
  });

  it("resumes from its training state to the same weights", () => {
    const run = (interrupt: boolean) => {
      let tower = HierarchicalAttentionTower.create({ ...small, learningRate: 0.05 }, split.train);
      for (let step = 0; step < 5; step++) {
        if (interrupt && step === 2) {
          const state = tower.trainingState();
          tower.dispose();
          tower = HierarchicalAttentionTower.create({ ...small, seed: 9, learningRate: 0.05 }, split.train);
          tower.restoreTrainingState(state);
        }
        tower.trainStep(twoRows, bpr);
      }
      const weights = tower.snapshot().flatMap((w) => Array.from(w));
      tower.dispose();
      return weights;
    };
    expect(run(true)).toEqual(run(false));
  });
});

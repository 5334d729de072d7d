// MF with side information: an item never seen in training is scored from its categories alone
// (its own row does not count), and on data where the category decides who likes an item, the
// categories let the model rank held-out cold items for the users who like their category —
// which MF without them cannot do. Nothing leaks across training.

import { seededRandom } from "@kdrec/core";
import { coldItemsSplit, type Interactions, itemFeatureLists, userItemSets } from "@kdrec/data";
import { rowBprLoss } from "@kdrec/losses";
import { evaluateFullRanking } from "@kdrec/metrics";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { expect, it } from "vitest";
import { FeatureMatrixFactorization } from "./feature_mf.js";

const USERS = 60;
const ITEMS = 80;
/** Two camps: users of camp c interact with 12 items of category c (item i's category is i mod 2). */
const camps = (): Interactions => {
  const rng = seededRandom(4);
  const users: number[] = [];
  const items: number[] = [];
  for (let u = 0; u < USERS; u++) {
    const mine = Array.from({ length: ITEMS / 2 }, (_, k) => 2 * k + (u % 2));
    for (const i of rng.split(`user-${u}`).shuffle(mine).slice(0, 12)) {
      users.push(u);
      items.push(i);
    }
  }
  return {
    users: Int32Array.from(users),
    items: Int32Array.from(items),
    userIds: Array.from({ length: USERS }, (_, u) => `u${u}`),
    itemIds: Array.from({ length: ITEMS }, (_, i) => `i${i}`),
  };
};
const categories = itemFeatureLists(
  {
    categoryNames: ["even", "odd"],
    categoryOffsets: Int32Array.from({ length: ITEMS + 1 }, (_, i) => i),
    categoryIndex: Int32Array.from({ length: ITEMS }, (_, i) => i % 2),
  },
  ITEMS,
)!;

describeEachBackend("FeatureMatrixFactorization", () => {
  it("scores an item never seen in training from its categories alone", () => {
    const train = camps();
    const unseen = 3; // odd, and absent from this training set
    const kept = Int32Array.from(train.items.keys()).filter((r) => train.items[r] !== unseen);
    const model = FeatureMatrixFactorization.create(
      { users: USERS, items: ITEMS, dim: 4, seed: 1 },
      { items: categories },
      {
        ...train,
        users: train.users.filter((_, r) => kept.includes(r)),
        items: train.items.filter((i) => i !== unseen),
      },
    );
    const weights = model.namedWeights();
    const user = weights.find((w) => w.name === "user_factors")!.values.subarray(0, 4);
    const odd = weights.find((w) => w.name === "item_feature_factors")!.values.subarray(4, 8);
    const expected = user.reduce((sum, v, c) => sum + v * odd[c]!, 0);
    const scorer = model.allItemScorer();
    const scores = scorer.score(Int32Array.of(0));
    expect(scores.dataSync()[unseen]).toBeCloseTo(expected, 5);
    tf.dispose(scores);
    scorer.dispose();
    model.dispose();
  });

  it("ranks held-out cold items by category where MF without categories cannot, leaving no tensor behind", async () => {
    const split = coldItemsSplit(camps(), 0.5, 2);
    if (E.isLeft(split)) throw new Error(split.left.message);
    const { train, test, valid, candidates } = split.right;
    const tensors = tf.memory().numTensors;
    const trained = async (withCategories: boolean) => {
      const model = FeatureMatrixFactorization.create(
        { users: USERS, items: ITEMS, dim: 4, seed: 1, learningRate: 0.05 },
        withCategories ? { items: categories } : {},
        train,
      );
      const seen = userItemSets(train);
      const rng = seededRandom(9);
      for (let epoch = 0; epoch < 30; epoch++) {
        // BPR rows: each training interaction against a random item the user has not seen.
        const negatives = Int32Array.from(train.users, (u) => {
          for (;;) {
            const i = rng.int(ITEMS);
            if (!seen.items.subarray(seen.offsets[u]!, seen.offsets[u + 1]!).includes(i)) return i;
          }
        });
        const items = new Int32Array(train.users.length * 2);
        train.items.forEach((i, r) => {
          items[2 * r] = i;
          items[2 * r + 1] = negatives[r]!;
        });
        model.trainStep({ users: train.users, items, width: 2 }, (s) => rowBprLoss(s));
      }
      const scorer = model.allItemScorer();
      const report = await evaluateFullRanking(scorer.score, {
        heldOut: test,
        exclude: [train, valid],
        candidates: candidates!.test,
      });
      scorer.dispose();
      model.dispose();
      if (E.isLeft(report)) throw new Error(report.left.message);
      return report.right.summary["ndcg@10"]!.mean;
    };
    const [withCategories, without] = [await trained(true), await trained(false)];
    console.info(
      `cold items, NDCG@10 among them: with categories ${withCategories.toFixed(3)}, without ${without.toFixed(3)}`,
    );
    expect(withCategories).toBeGreaterThan(without + 0.1);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

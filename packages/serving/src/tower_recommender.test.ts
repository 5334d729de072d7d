import { readTidy } from "@kdrec/core";
import { itemPopularity, itemsOf, leaveLastOut, syntheticDataset, userSequences } from "@kdrec/data";
import { HierarchicalAttentionTower } from "@kdrec/students";
import { describeEachBackend } from "@kdrec/testing";
import * as E from "fp-ts/lib/Either.js";
import { expect, it } from "vitest";
import { towerRecommender } from "./tower_recommender.js";

const split = leaveLastOut(syntheticDataset({ seed: 6, users: 60, items: 90 }).interactions);
const right = <A>(x: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(x)) throw new Error(x.left.message);
  return x.right;
};

describeEachBackend("towerRecommender", () => {
  it.each([false, true])(
    "computes the tower's user vectors and top-K exactly as its TF.js scorer does (recency %s)",
    (positions) => {
      // A short session gap cuts real sessions out of the synthetic timestamps.
      const config = { items: 90, dim: 6, groups: 3, perGroup: 4, sessionGap: 86_400, seed: 3, positions } as const;
      const tower = HierarchicalAttentionTower.create(config, split.train);
      if (positions) {
        // Recency embeddings start at zero; give them values so that they matter.
        const names = tower.namedWeights().map((w) => w.name);
        const weights = [...tower.snapshot()];
        names.forEach((name, k) => {
          if (name.startsWith("positions.")) weights[k] = weights[k]!.map((_, j) => Math.sin(j + k));
        });
        tower.restore(weights);
      }
      const recommender = right(towerRecommender(tower.config, tower.namedWeights()));
      const sequences = userSequences(split.train);
      const users = Int32Array.from([0, 5, 17, 42]);
      const scorer = tower.allItemScorer();
      const all = readTidy(() => scorer.score(users));
      scorer.dispose();
      const times = new Map<number, number[]>();
      // the users' times in history order
      const order = Array.from({ length: split.train.users.length }, (_, r) => r).sort(
        (a, b) =>
          split.train.timestamps![a]! - split.train.timestamps![b]! || split.train.items[a]! - split.train.items[b]!,
      );
      for (const r of order)
        times.set(split.train.users[r]!, [...(times.get(split.train.users[r]!) ?? []), split.train.timestamps![r]!]);
      users.forEach((u, b) => {
        const history = { items: itemsOf(sequences, u), times: Float64Array.from(times.get(u)!) };
        const top = right(recommender.recommend(history, 5, { excludeHistory: false }));
        const expected = Array.from(all.subarray(b * 90, (b + 1) * 90))
          .map((s, i) => [s, i] as const)
          .sort((x, y) => y[0] - x[0])
          .slice(0, 5);
        expect(Array.from(top.items)).toEqual(expected.map(([, i]) => i));
        expect(Array.from(top.scores)).toEqual(expected.map(([s]) => expect.closeTo(s, 4)));
      });
      tower.dispose();
    },
  );

  it("leaves out the history, refuses an empty history unless asked for the popularity fallback", () => {
    const tower = HierarchicalAttentionTower.create({ items: 90, dim: 4, seed: 1 }, split.train);
    const popularity = itemPopularity(split.train.items, 90);
    const recommender = right(towerRecommender(tower.config, tower.namedWeights(), Float32Array.from(popularity)));
    const top = right(recommender.recommend({ items: Int32Array.of(3, 4, 5) }, 10, { exclude: [6] }));
    expect(top.source).toBe("tower");
    expect([...top.items].some((i) => [3, 4, 5, 6].includes(i))).toBe(false);
    const empty = recommender.recommend({ items: new Int32Array(0) }, 3);
    expect(E.isLeft(empty) && empty.left.message).toMatch(/the history is empty/);
    const fallback = right(recommender.recommend({ items: new Int32Array(0) }, 3, { fallback: "popularity" }));
    expect(fallback.source).toBe("popularity");
    const byCount = Array.from(popularity, (c, i) => [c, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    expect(Array.from(fallback.items)).toEqual(byCount.slice(0, 3).map(([, i]) => i));
    const bad = recommender.recommend({ items: Int32Array.of(90) }, 3);
    expect(E.isLeft(bad) && `${bad.left.location}: ${bad.left.message}`).toBe(
      "history.items: item 90 is not in the catalogue (0..89)",
    );
    const missing = towerRecommender(
      tower.config,
      tower.namedWeights().filter((w) => w.name !== "user.bias"),
    );
    expect(E.isLeft(missing) && `${missing.left.location}: ${missing.left.message}`).toBe(
      "tower weight user.bias: missing from the weights",
    );
    tower.dispose();
  });
});

import { readTidy } from "@kdrec/core";
import { itemsOf, leaveLastOut, syntheticDataset, userSequences } from "@kdrec/data";
import { HierarchicalAttentionTower } from "@kdrec/students";
import { describeEachBackend } from "@kdrec/testing";
import * as E from "fp-ts/lib/Either.js";
import { expect, it } from "vitest";
import { topK } from "./item_scorer.js";
import { towerScorer } from "./tower_scorer.js";

const split = leaveLastOut(syntheticDataset({ seed: 6, users: 60, items: 90 }).interactions);
const right = <A>(x: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(x)) throw new Error(x.left.message);
  return x.right;
};

describeEachBackend("towerScorer", () => {
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
      const scorer = right(towerScorer(tower.config, tower.namedWeights()));
      const sequences = userSequences(split.train);
      const users = Int32Array.from([0, 5, 17, 42]);
      const reference = tower.allItemScorer();
      const all = readTidy(() => reference.score(users));
      reference.dispose();
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
        const top = topK(scorer.scoreHistory!(history), 5, new Set());
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

  it("explains a history by its attention: weights sum to 1 and mix the user vector exactly", () => {
    const tower = HierarchicalAttentionTower.create(
      { items: 90, dim: 6, groups: 2, perGroup: 3, seed: 4 },
      split.train,
    );
    const scorer = right(towerScorer(tower.config, tower.namedWeights()));
    const history = { items: Int32Array.of(3, 8, 13, 21, 34, 55, 60, 61) };
    const { weights } = scorer.explain!(history);
    // Two groups of three: the last six items are read, the first two are not.
    expect(weights.length).toBe(8);
    expect([weights[0], weights[1]]).toEqual([0, 0]);
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(Math.max(...weights)).toBeGreaterThan(Math.min(...weights.subarray(2)));
    // Without recency embeddings the pooled history is Σ_j weight_j · embedding_j, and the user
    // vector its dense projection: the weights are the attention the tower actually used.
    const named = new Map(tower.namedWeights().map((w) => [w.name, w.values]));
    const table = named.get("items")!;
    const pooled = Array.from({ length: 6 }, (_, c) =>
      Array.from(history.items).reduce((sum, item, j) => sum + weights[j]! * table[item * 6 + c]!, 0),
    );
    const kernel = named.get("user.kernel")!;
    const expected = named
      .get("user.bias")!
      .map((b, j) => b + pooled.reduce((sum, p, c) => sum + p * kernel[c * 6 + j]!, 0));
    expect(Array.from(scorer.userVector(history))).toEqual(Array.from(expected, (v) => expect.closeTo(v, 5)));
    // Each item's score decomposes into the history items' shares, weight_j · (e_j W) · e_i (plus
    // the biases): the reason given for an item is the history item with the largest share.
    const asked = Int32Array.of(0, 17, 44, 89);
    const { reasons } = scorer.explain!(history, asked);
    const scores = scorer.scoreHistory!(history);
    const userBias = named.get("user.bias")!;
    const itemBias = named.get("itemBias")!;
    asked.forEach((item, r) => {
      const e = table.subarray(item * 6, item * 6 + 6);
      const shares = Array.from(history.items, (h, j) =>
        Array.from({ length: 6 }, (_, k) =>
          Array.from({ length: 6 }, (_, c) => table[h * 6 + c]! * kernel[c * 6 + k]!).reduce((a, b) => a + b, 0),
        ).reduce((sum, v, k) => sum + weights[j]! * v * e[k]!, 0),
      );
      const rest = itemBias[item]! + Array.from(e).reduce((sum, v, k) => sum + v * userBias[k]!, 0);
      expect(shares.reduce((a, b) => a + b, 0) + rest).toBeCloseTo(scores[item]!, 4);
      const readShares = shares.map((v, j) => (weights[j]! > 0 ? v : Number.NEGATIVE_INFINITY));
      expect(reasons[r]).toBe(readShares.indexOf(Math.max(...readShares)));
    });
    tower.dispose();
  });

  it("refuses weights with a missing or mis-sized tensor, naming it", () => {
    const tower = HierarchicalAttentionTower.create({ items: 90, dim: 4, seed: 1 }, split.train);
    const missing = towerScorer(
      tower.config,
      tower.namedWeights().filter((w) => w.name !== "user.bias"),
    );
    expect(E.isLeft(missing) && `${missing.left.location}: ${missing.left.message}`).toBe(
      "tower weight user.bias: missing from the weights",
    );
    const short = towerScorer(
      tower.config,
      tower.namedWeights().map((w) => (w.name === "itemBias" ? { ...w, values: w.values.subarray(1) } : w)),
    );
    expect(E.isLeft(short) && short.left.message).toBe("expected 90 values, got 89");
    tower.dispose();
  });
});

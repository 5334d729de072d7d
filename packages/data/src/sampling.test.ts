import { seededRandom } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import {
  entryUsers,
  indexBatches,
  listwiseBatches,
  pairwiseBatches,
  pointwiseBatches,
  sequenceBatches,
} from "./batches.js";
import type { Interactions } from "./interactions.js";
import { itemPopularity, type NegativeSampler, popularityNegatives, uniformNegatives } from "./negative_sampling.js";
import { leaveLastOut } from "./splits.js";
import { syntheticDataset } from "./synthetic.js";
import { hasItem, itemsOf, userItemSets, userSequences, userTimelines } from "./user_items.js";

const train = leaveLastOut(syntheticDataset({ seed: 2, users: 80, items: 120 }).interactions).train;
const positives = userItemSets(train);
const right = <A>(x: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(x)) throw new Error(x.left.message);
  return x.right;
};

describe("user item sets", () => {
  it("hold each user's distinct training items, sorted", () => {
    for (let r = 0; r < train.users.length; r++)
      expect(hasItem(positives, train.users[r]!, train.items[r]!)).toBe(true);
    const items = itemsOf(positives, 0);
    expect(Array.from(items)).toEqual([...new Set(items)].sort((a, b) => a - b));
    expect(hasItem(positives, 0, -1)).toBe(false);
  });
});

describe("negative samplers", () => {
  const samplers: Array<[string, NegativeSampler]> = [
    ["uniform", right(uniformNegatives(positives))],
    ["popularity", right(popularityNegatives(positives, itemPopularity(train.items, 120), 1))],
  ];

  it.each(samplers)("%s never returns a training item of the user, and is seeded", (_, sampler) => {
    const rng = seededRandom(1);
    for (let k = 0; k < 5000; k++) {
      const user = k % 80;
      expect(hasItem(positives, user, sampler.sample(user, rng))).toBe(false);
    }
    const draws = (seed: number) => Array.from({ length: 50 }, () => sampler.sample(3, seededRandom(seed)));
    expect(draws(9)).toEqual(draws(9));
  });

  it("popularity sampling follows (count + 1)^exponent", () => {
    const data: Interactions = {
      users: Int32Array.from([0, 0]),
      items: Int32Array.from([0, 0]),
      userIds: ["u", "v"],
      itemIds: ["a", "b", "c", "d"],
    };
    const sets = userItemSets(data);
    const sampler = right(popularityNegatives(sets, [0, 3, 0, 7], 1)); // weights 1, 4, 1, 8 for user 1 (no positives)
    const rng = seededRandom(5);
    const counts = [0, 0, 0, 0];
    for (let k = 0; k < 140_000; k++) counts[sampler.sample(1, rng)]! += 1;
    expect(counts.map((c) => c / 10_000)).toEqual([1, 4, 1, 8].map((w) => expect.closeTo(w, 0))); // within 0.5
    expect(counts[0]! / 10_000).toBeCloseTo(1, 0);
  });

  it("refuses a user who has every item, and a negative exponent", () => {
    const full: Interactions = {
      users: Int32Array.from([0, 0]),
      items: Int32Array.from([0, 1]),
      userIds: ["u"],
      itemIds: ["a", "b"],
    };
    const result = uniformNegatives(userItemSets(full));
    expect(E.isLeft(result) && result.left.message).toBe("user 0 has interacted with every item: no negative exists");
    expect(E.isLeft(popularityNegatives(positives, itemPopularity(train.items, 120), -1))).toBe(true);
  });

  it("falls back to the complement when the user holds most of the catalogue", () => {
    const data: Interactions = {
      users: new Int32Array(99),
      items: Int32Array.from({ length: 99 }, (_, i) => i),
      userIds: ["u"],
      itemIds: Array.from({ length: 100 }, (_, i) => String(i)),
    };
    const sampler = right(uniformNegatives(userItemSets(data)));
    const rng = seededRandom(1);
    for (let k = 0; k < 20; k++) expect(sampler.sample(0, rng)).toBe(99);
  });
});

describe("batches", () => {
  const sampler = right(uniformNegatives(positives));

  it("pairwise: one epoch visits every training interaction exactly once", () => {
    const seen: string[] = [];
    let batches = 0;
    for (const batch of pairwiseBatches(train, sampler, 64, seededRandom(1))) {
      batches += 1;
      expect(batch.users.length).toBeLessThanOrEqual(64);
      batch.users.forEach((u, b) => {
        seen.push(`${u}:${batch.positives[b]}`);
        expect(hasItem(positives, u, batch.negatives[b]!)).toBe(false);
      });
    }
    const expected = Array.from(train.users, (u, r) => `${u}:${train.items[r]}`);
    expect(seen.sort()).toEqual(expected.sort());
    expect(batches).toBe(Math.ceil(train.users.length / 64));
    const firstOf = (seed: number) => pairwiseBatches(train, sampler, 64, seededRandom(seed)).next().value!.users;
    expect(firstOf(1)).toEqual(firstOf(1));
    expect(firstOf(1)).not.toEqual(firstOf(2));
  });

  it("pointwise: each positive followed by its labelled negatives", () => {
    const batch = pointwiseBatches(train, sampler, 10, 3, seededRandom(1)).next().value!;
    expect(batch.users.length).toBe(40);
    expect(Array.from(batch.labels.subarray(0, 8))).toEqual([1, 0, 0, 0, 1, 0, 0, 0]);
    expect(batch.users[0]).toBe(batch.users[3]);
    expect(hasItem(positives, batch.users[0]!, batch.items[0]!)).toBe(true);
  });

  it("listwise: listSize sampled candidates per positive", () => {
    const batch = listwiseBatches(train, sampler, 8, 5, seededRandom(1)).next().value!;
    expect(batch.candidates.length).toBe(40);
    batch.candidates.forEach((item: number, k: number) => {
      expect(hasItem(positives, batch.users[Math.floor(k / 5)]!, item)).toBe(false);
    });
  });

  it("sequences: the most recent items, left-padded with the padding index", () => {
    const sequences = userSequences(train);
    const batches = [...sequenceBatches(sequences, 6, 32)];
    expect(batches.reduce((n, b) => n + b.users.length, 0)).toBe(80);
    const first = batches[0]!;
    const history = itemsOf(sequences, first.users[0]!);
    expect(Array.from(first.sequences.subarray(0, 6))).toEqual(Array.from(history.subarray(history.length - 6)));
    const short = userSequences({
      users: Int32Array.from([0, 0]),
      items: Int32Array.from([1, 0]),
      timestamps: Float64Array.from([2, 1]),
      userIds: ["u"],
      itemIds: ["a", "b"],
    });
    const padded = sequenceBatches(short, 4, 1).next().value!;
    expect(Array.from(padded.sequences)).toEqual([2, 2, 0, 1]);
    expect(Array.from(padded.lengths)).toEqual([2]);
  });

  it("refuses batch sizes that are not positive integers", () => {
    expect(() => pairwiseBatches(train, sampler, 0, seededRandom(1)).next()).toThrow(RangeError);
    expect(() => listwiseBatches(train, sampler, 4, 0, seededRandom(1)).next()).toThrow(RangeError);
  });
});

describe("indexBatches", () => {
  it("covers 0 … n − 1 in consecutive batches, the last one shorter", () => {
    expect([...indexBatches(7, 3)].map((b) => Array.from(b))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect([...indexBatches(0, 3)]).toEqual([]);
  });
});

describe("entryUsers", () => {
  it("repeats each row's user over the row's list", () => {
    expect(Array.from(entryUsers(Int32Array.of(4, 1), 3))).toEqual([4, 4, 4, 1, 1, 1]);
  });
});

describe("userTimelines", () => {
  it("carries each history's times beside its items, in time order; none without timestamps", () => {
    const data: Interactions = {
      users: Int32Array.of(0, 1, 0),
      items: Int32Array.of(5, 6, 7),
      timestamps: Float64Array.of(30, 10, 20),
      userIds: ["a", "b"],
      itemIds: ["0", "1", "2", "3", "4", "5", "6", "7"],
    };
    const timelines = userTimelines(data);
    expect(Array.from(timelines.items)).toEqual([7, 5, 6]);
    expect(Array.from(timelines.times!)).toEqual([20, 30, 10]);
    const { timestamps: _, ...untimed } = data;
    expect(userTimelines(untimed).times).toBeUndefined();
  });
});

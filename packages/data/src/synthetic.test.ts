import { describe, expect, it } from "vitest";
import { leaveLastOut } from "./splits.js";
import { datasetStats } from "./stats.js";
import { syntheticDataset } from "./synthetic.js";

describe("syntheticDataset", () => {
  const data = syntheticDataset({ seed: 3, users: 200, items: 300 });
  const { interactions } = data;

  it("is the same for the same seed and differs for another", () => {
    const again = syntheticDataset({ seed: 3, users: 200, items: 300 }).interactions;
    expect(again.items).toEqual(interactions.items);
    expect(again.timestamps).toEqual(interactions.timestamps);
    expect(syntheticDataset({ seed: 4, users: 200, items: 300 }).interactions.items).not.toEqual(interactions.items);
  });

  it("gives every user at least minPerUser distinct items, ratings 1-5 and increasing timestamps", () => {
    const stats = datasetStats(interactions);
    expect(stats.users).toBe(200);
    expect(stats.perUser.min).toBeGreaterThanOrEqual(8);
    expect(stats.duplicates).toBe(0);
    expect(stats.ratingRange).toEqual([1, 5]);
    for (let r = 1; r < interactions.users.length; r++) {
      if (interactions.users[r] === interactions.users[r - 1])
        expect(interactions.timestamps![r]!).toBeGreaterThan(interactions.timestamps![r - 1]!);
    }
  });

  it("has power-law popularity and activity: heavy heads, long tails", () => {
    const counts = new Array<number>(300).fill(0);
    for (const i of interactions.items) counts[i]! += 1;
    counts.sort((a, b) => b - a);
    const top10 = counts.slice(0, 30).reduce((a, b) => a + b, 0);
    expect(top10 / interactions.items.length).toBeGreaterThan(0.2); // 10% of items, over twice their share
    const stats = datasetStats(interactions);
    expect(stats.perUser.max).toBeGreaterThan(4 * stats.perUser.median);
  });

  it("carries a learnable signal: a user's held-out item shares the category of their history more often than chance", () => {
    const split = leaveLastOut(interactions);
    const category = data.items!.categoryIndex!;
    const favourite = new Map<number, Map<number, number>>();
    for (let r = 0; r < split.train.users.length; r++) {
      const perUser = favourite.get(split.train.users[r]!) ?? new Map<number, number>();
      const c = category[split.train.items[r]!]!;
      perUser.set(c, (perUser.get(c) ?? 0) + 1);
      favourite.set(split.train.users[r]!, perUser);
    }
    let hits = 0;
    for (let r = 0; r < split.test.users.length; r++) {
      const counts = [...favourite.get(split.test.users[r]!)!.entries()].sort((a, b) => b[1] - a[1]);
      if (counts[0]![0] === category[split.test.items[r]!]) hits += 1;
    }
    expect(hits / split.test.users.length).toBeGreaterThan(3 / 12); // chance is about 1/12
  });
});

describe("datasetStats", () => {
  it("counts duplicate (user, item) rows, each repeat once, whatever their order", () => {
    const { interactions } = syntheticDataset({ seed: 3, users: 50, items: 80 });
    const n = interactions.users.length;
    // Rows 0 and 5 repeated, row 9 three times, appended in a scrambled order.
    const rows = Int32Array.from([...Array.from({ length: n }, (_, r) => r), 9, 5, 9, 0, 9]);
    const copied = {
      ...interactions,
      users: Int32Array.from(rows, (r) => interactions.users[r]!),
      items: Int32Array.from(rows, (r) => interactions.items[r]!),
    };
    const { ratings: _r, timestamps: _t, ...plain } = copied;
    expect(datasetStats(interactions).duplicates).toBe(0);
    expect(datasetStats(plain).duplicates).toBe(5);
  });
});

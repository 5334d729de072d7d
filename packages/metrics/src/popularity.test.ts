import type { Interactions } from "@kdrec/data";
import { describe, expect, it } from "vitest";
import { longTailItems, popularityReport } from "./popularity.js";

const interactions = (pairs: ReadonlyArray<readonly [number, number]>, users: number, items: number): Interactions => ({
  users: Int32Array.from(pairs, ([u]) => u),
  items: Int32Array.from(pairs, ([, i]) => i),
  userIds: Array.from({ length: users }, (_, u) => `u${u}`),
  itemIds: Array.from({ length: items }, (_, i) => `i${i}`),
});

describe("popularity bias", () => {
  it("the head is the most popular 20% of items (ties by index); the rest is the tail", () => {
    expect(Array.from(longTailItems([5, 9, 1, 9, 0, 0, 0, 0, 0, 2]))).toEqual([1, 0, 1, 0, 1, 1, 1, 1, 1, 1]);
  });

  it("averages NDCG@10 over users whose held-out items are in the tail, and measures what is recommended", () => {
    // 10 items; items 0 and 1 are the head (most training interactions).
    const train = interactions(
      [
        [0, 0],
        [1, 0],
        [2, 0],
        [0, 1],
        [1, 1],
        [2, 2],
      ],
      3,
      10,
    );
    const test = interactions(
      [
        [0, 5], // tail
        [1, 0], // head
        [2, 7], // tail
      ],
      3,
      10,
    );
    const report = {
      users: Int32Array.of(0, 1, 2),
      perUser: { "ndcg@10": Float64Array.of(0.5, 1, 0.25) },
      summary: {},
    };
    // Top 2 per user: user 0 gets a head and a tail item, users 1 and 2 two tail items.
    const top = Int32Array.of(0, 5, 6, 7, 8, 9);
    const bias = popularityReport(train, test, report, top, 2);
    expect(bias["tail_ndcg@10"]).toBeCloseTo((0.5 + 0.25) / 2, 10);
    expect(bias.tail_users).toBe(2);
    expect(bias.recommended_tail_share).toBeCloseTo(5 / 6, 10);
    expect(bias.mean_recommended_popularity).toBeCloseTo(3 / 6, 10); // item 0 has 3 interactions, the rest 0
  });
});

import { describe, expect, it } from "vitest";
import { f32In, i32In, kernelModes, uniformValues } from "./kernel_testing.js";
import { scoreTopK, scoreTopKWorkSize } from "./score_top_k.js";

/** The same by brute force: every unexcluded item scored, sorted by score then index. */
const bruteForce = (
  P: Float32Array,
  Q: Float32Array,
  biases: Float32Array | undefined,
  user: number,
  dim: number,
  items: number,
  excluded: ReadonlySet<number>,
  k: number,
) => {
  const scored: Array<[number, number]> = [];
  for (let i = 0; i < items; i++) {
    if (excluded.has(i)) continue;
    let s = 0;
    for (let d = 0; d < dim; d++) s += P[user * dim + d]! * Q[i * dim + d]!;
    scored.push([i, s + (biases?.[i] ?? 0)]);
  }
  scored.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return scored.slice(0, k);
};

describe.each(kernelModes)("scoreTopK [%s]", (_, arena) => {
  it.each([1, 4, 8, 13])("keeps each user's k best unexcluded items, best first, at dim %i", (dim) => {
    const a = arena();
    const [users, items, k] = [4, 50, 7];
    const P = uniformValues(users * dim, 1);
    const Q = uniformValues(items * dim, 2);
    const biases = uniformValues(items, 3);
    // User 0 excludes nothing, user 1 the even items, user 2 the first and last, user 3 all but 3.
    const excluded = [
      [],
      Array.from({ length: 25 }, (_, j) => 2 * j),
      [0, items - 1],
      Array.from({ length: items - 3 }, (_, j) => j + 3),
    ];
    const offsets = [0];
    for (const list of excluded) offsets.push(offsets[offsets.length - 1]! + list.length);
    const rows = [3, 0, 2, 1, 0];
    const outItems = i32In(a, new Int32Array(rows.length * k));
    const outScores = f32In(a, new Float32Array(rows.length * k));
    const [p, q, b] = [f32In(a, P), f32In(a, Q), f32In(a, biases)];
    scoreTopK(a, {
      userFactors: p,
      itemFactors: q,
      itemBiases: b,
      users: i32In(a, rows),
      dim,
      items,
      excludeOffsets: i32In(a, offsets),
      excludeItems: i32In(a, excluded.flat()),
      k,
      outItems,
      outScores,
      work: f32In(a, new Float32Array(scoreTopKWorkSize(items, dim))),
    });
    rows.forEach((user, row) => {
      const expected = bruteForce(P, Q, biases, user, dim, items, new Set(excluded[user]), k);
      const got = Array.from(outItems.subarray(row * k, (row + 1) * k));
      // User 3 has only 3 items left: the rest of its row is padding.
      expect(got).toEqual([...expected.map(([i]) => i), ...Array(k - expected.length).fill(-1)]);
      expected.forEach(([, s], j) => {
        expect(outScores[row * k + j]).toBeCloseTo(s, 5);
      });
    });
  });

  it("breaks ties by the lower index, never ranks NaN, and excludes nothing without lists", () => {
    const a = arena();
    // dim 1, user factor 1: the item factors are the scores.
    const scores = [0.5, Number.NaN, 2, 0.5, 2, 0.5, Number.NEGATIVE_INFINITY];
    const outItems = i32In(a, new Int32Array(6));
    const outScores = f32In(a, new Float32Array(6));
    scoreTopK(a, {
      userFactors: f32In(a, [1]),
      itemFactors: f32In(a, scores),
      itemBiases: undefined,
      users: i32In(a, [0]),
      dim: 1,
      items: scores.length,
      excludeOffsets: undefined,
      excludeItems: undefined,
      k: 6,
      outItems,
      outScores,
      work: f32In(a, new Float32Array(scoreTopKWorkSize(scores.length, 1))),
    });
    expect(Array.from(outItems)).toEqual([2, 4, 0, 3, 5, 6]);
  });
});

import { createRequire } from "node:module";
import { arenaKernel, heldOutRanks, scoreTopKExcluding, seededRandom, topKExcluding } from "@kdrec/core";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { expect, it } from "vitest";
import {
  ADDON_PATH,
  KdrecBprBatches,
  KdrecHeldOutRanks,
  KdrecListBatches,
  KdrecScoreTopKExcluding,
  KdrecTopKExcluding,
  registerNativeKernels,
} from "./index.js";

const LOWEST = -3.4e38;

/** Scores on a coarse grid (many ties), with NaN, ±∞ sprinkled in. */
const scoreBlock = (rows: number, items: number, seed: number): Float32Array => {
  const rng = seededRandom(seed);
  return Float32Array.from({ length: rows * items }, () => {
    const u = rng.float();
    if (u < 0.02) return Number.NaN;
    if (u < 0.025) return Number.NEGATIVE_INFINITY;
    if (u < 0.03) return Number.POSITIVE_INFINITY;
    return Math.round(rng.normal() * 4) / 4;
  });
};

/** Sorted distinct excluded items per row (CSR), leaving out `keep`'s items. */
const excludedLists = (rows: number, items: number, perRow: number, seed: number, keep: (b: number) => number[]) => {
  const rng = seededRandom(seed);
  const offsets = new Int32Array(rows + 1);
  const lists: number[] = [];
  for (let b = 0; b < rows; b++) {
    const chosen = new Set<number>();
    for (let e = 0; e < perRow; e++) chosen.add(Math.floor(rng.float() * items));
    for (const t of keep(b)) chosen.delete(t);
    lists.push(...[...chosen].sort((x, y) => x - y));
    offsets[b + 1] = lists.length;
  }
  return { offsets, items: Int32Array.from(lists) };
};

/** The counting rule of `@kdrec/metrics`, as plain loops. */
const referenceRank = (row: Float32Array, t: number, excluded: Set<number>, optimistic: boolean): number => {
  const v = (s: number) => (Number.isNaN(s) ? LOWEST : s);
  let rank = 0;
  for (let i = 0; i < row.length; i++) {
    if (i === t || excluded.has(i)) continue;
    if (optimistic ? v(row[i]!) > v(row[t]!) : v(row[i]!) >= v(row[t]!)) rank++;
  }
  return rank;
};

/** Each row's k best (ties to the lower index, NaN and excluded never), padded with -1 / -∞. */
const referenceTopK = (row: Float32Array, excluded: Set<number>, k: number) => {
  const ranked = Array.from(row, (s, i) => [s, i] as const)
    .filter(([s, i]) => !Number.isNaN(s) && !excluded.has(i))
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k);
  return {
    items: [...ranked.map(([, i]) => i), ...Array(k - ranked.length).fill(-1)],
    scores: [...ranked.map(([s]) => s), ...Array(k - ranked.length).fill(Number.NEGATIVE_INFINITY)],
  };
};

const ranksOf = (
  scores: Float32Array,
  shape: [number, number],
  targetRows: number[],
  targetItems: number[],
  excluded: { offsets: Int32Array; items: Int32Array },
  optimistic: boolean,
) => {
  const ranks = tf.tidy(() =>
    heldOutRanks(
      {
        scores: tf.tensor2d(scores, shape),
        targetRows: tf.tensor1d(targetRows, "int32"),
        targetItems: tf.tensor1d(targetItems, "int32"),
        excludedOffsets: tf.tensor1d(excluded.offsets, "int32"),
        excludedItems: tf.tensor1d(excluded.items, "int32"),
      },
      optimistic,
    ),
  );
  const values = Array.from(ranks.dataSync());
  ranks.dispose();
  return values;
};

/**
 * Checks a top-K kernel's lists (then frees them) row by row against {@link referenceTopK} of
 * `rowScores(b)` with row `b`'s user's excluded items; returns the items, row-major.
 */
const expectReferenceLists = (
  got: { readonly values: tf.Tensor2D; readonly indices: tf.Tensor2D },
  rowUsers: Int32Array,
  excluded: { readonly offsets: Int32Array; readonly items: Int32Array },
  k: number,
  rowScores: (b: number) => Float32Array,
): number[] => {
  const [gotScores, gotItems] = [Array.from(got.values.dataSync()), Array.from(got.indices.dataSync())];
  tf.dispose([got.values, got.indices]);
  rowUsers.forEach((u, b) => {
    const set = new Set(excluded.items.subarray(excluded.offsets[u]!, excluded.offsets[u + 1]!));
    const expected = referenceTopK(rowScores(b), set, k);
    expect(gotItems.slice(b * k, (b + 1) * k)).toEqual(expected.items);
    expect(gotScores.slice(b * k, (b + 1) * k)).toEqual(expected.scores);
  });
  return gotItems;
};

/**
 * The kernels' tests, with the selection built for `isa` (`KDREC_NATIVE_KERNELS_ISA`, read when the
 * addon loads: each test file runs in a process of its own).
 */
export const nativeKernelSuite = (isa: "avx512" | "avx2" | "plain"): void =>
  describeEachBackend(`kdrec's native kernels (selection: ${isa})`, () => {
    it("register the kernels for the tensorflow backend, again without harm", () => {
      const first = registerNativeKernels();
      const second = registerNativeKernels();
      expect(first).toEqual(
        E.right([KdrecHeldOutRanks, KdrecTopKExcluding, KdrecScoreTopKExcluding, KdrecListBatches, KdrecBprBatches]),
      );
      expect(second).toEqual(first);
      expect(tf.getKernel(KdrecHeldOutRanks, "tensorflow")).toBeDefined();
      expect(tf.getKernel(KdrecTopKExcluding, "tensorflow")).toBeDefined();
      expect(arenaKernel(KdrecListBatches)).toBeDefined();
      expect(arenaKernel(KdrecBprBatches)).toBeDefined();
      expect((createRequire(import.meta.url)(ADDON_PATH) as { isa: string }).isa).toBe(isa);
    });

    // Their values are tested against the WebAssembly kernels' in @kdrec/students (list_epoch.test.ts,
    // pairwise_epoch.test.ts).
    it.each([
      [KdrecListBatches, 37],
      [KdrecBprBatches, 28],
    ])("%s refuses a parameter block or a pointer outside the memory, and anything but bytes", (name, words) => {
      const kernel = arenaKernel(name)!;
      const memory = new Uint8Array(4096);
      expect(() => kernel(memory, 4096 - 4 * words + 4)).toThrow(new RegExp(`${name}: .*outside the memory`));
      new Uint32Array(memory.buffer, 256, words)[0] = 5000; // the user table, past the end
      expect(() => kernel(memory, 256)).toThrow(/outside the memory/);
      // A pointer in the block's last word, past the end (the one before it in range).
      new Uint32Array(memory.buffer, 256, words)[0] = 0;
      new Uint32Array(memory.buffer, 256, words)[words === 28 ? 27 : 36] = 4096;
      expect(() => kernel(memory, 256)).toThrow(/outside the memory/);
      expect(() => kernel(new Float32Array(64) as unknown as Uint8Array, 0)).toThrow(/a Uint8Array/);
      expect(() => kernel(memory.subarray(16), 0)).toThrow(/a Uint8Array/);
    });

    it.each([
      [23, 157, false],
      [23, 157, true],
      // Large enough to split the rows over the machine's cores.
      [300, 2048, false],
    ])(
      "KdrecHeldOutRanks counts as the plain rule does (%i rows x %i items, optimistic %s): ties, NaN, infinities, excluded items, several targets per row",
      (rows, items, optimistic) => {
        const scores = scoreBlock(rows, items, rows + items);
        const rng = seededRandom(7);
        const targetRows: number[] = [];
        const targetItems: number[] = [];
        for (let b = 0; b < rows; b++)
          for (let j = 0; j < 1 + (b % 3); j++) {
            targetRows.push(b);
            targetItems.push(Math.floor(rng.float() * items));
          }
        // A NaN target, which every NaN ties with.
        scores[targetItems[0]!] = Number.NaN;
        const targetsOf = (b: number) => targetItems.filter((_, j) => targetRows[j] === b);
        const excluded = excludedLists(rows, items, 12, 3, targetsOf);
        const ranks = ranksOf(scores, [rows, items], targetRows, targetItems, excluded, optimistic);
        // As in the metrics, a row's other held-out items stay candidates.
        const expected = targetRows.map((b, j) => {
          const row = scores.subarray(b * items, (b + 1) * items);
          const set = new Set(excluded.items.subarray(excluded.offsets[b]!, excluded.offsets[b + 1]!));
          return referenceRank(row, targetItems[j]!, set, optimistic);
        });
        expect(ranks).toEqual(expected);
      },
    );

    it.each([
      [19, 97, 5],
      [19, 97, 40],
      [400, 1500, 10],
    ])(
      "KdrecTopKExcluding selects as the plain rule does (%i rows x %i items, k %i): ties to the lower index, NaN never, -∞ when needed, padding",
      (rows, items, k) => {
        const scores = scoreBlock(rows, items, rows * k);
        // One row with fewer than k rankable items: NaN everywhere but three.
        scores.fill(Number.NaN, 0, items);
        scores.set([1, Number.NEGATIVE_INFINITY, 1], 10);
        const users = 2 * rows;
        // User 0 (row 0's) keeps the three rankable items in.
        const excluded = excludedLists(users, items, items >> 2, 11, (u) => (u === 0 ? [10, 11, 12] : []));
        const rowUsers = Int32Array.from({ length: rows }, (_, b) => (b * 7) % users);
        const { values, indices } = tf.tidy(() =>
          topKExcluding(
            {
              scores: tf.tensor2d(scores, [rows, items]),
              users: tf.tensor1d(rowUsers, "int32"),
              excludedOffsets: tf.tensor1d(excluded.offsets, "int32"),
              excludedItems: tf.tensor1d(excluded.items, "int32"),
            },
            k,
          ),
        );
        const gotItems = expectReferenceLists({ values, indices }, rowUsers, excluded, k, (b) =>
          scores.subarray(b * items, (b + 1) * items),
        );
        expect(gotItems.slice(0, 3)).toEqual([10, 12, 11]);
      },
    );

    it.each([
      [13, 37, 5, 4, true, 37 >> 3],
      [29, 300, 20, 10, false, 300 >> 3],
      // Large enough to split the rows over the machine's cores; a width past one vector.
      [700, 1000, 3, 17, true, 1000 >> 3],
      // Wider than two vectors of items and more rows than a tile; most items excluded, so most
      // users have fewer than k left (padded with -1 / -∞).
      [15, 40, 6, 8, false, 90],
    ])(
      "KdrecScoreTopKExcluding scores and selects as the plain rule does (%i rows x %i items, dim %i, k %i, biases %s, %i exclusion draws a user): exact integer scores, so ties to the lower index",
      (rows, items, dim, k, withBiases, perUser) => {
        const rng = seededRandom(rows + items);
        // Small integers: every sum is exact in float32, whatever the order, and ties abound.
        const small = (n: number) => Float32Array.from({ length: n }, () => Math.floor(rng.float() * 5) - 2);
        const [userRows, itemFactors, biases] = [small(rows * dim), small(items * dim), small(withBiases ? items : 0)];
        const users = rows + 3;
        const excluded = excludedLists(users, items, perUser, 5, () => []);
        const rowUsers = Int32Array.from({ length: rows }, (_, b) => (b * 5) % users);
        const { values, indices } = tf.tidy(() =>
          scoreTopKExcluding(
            {
              userRows: tf.tensor2d(userRows, [rows, dim]),
              itemFactors: tf.tensor2d(itemFactors, [items, dim]),
              itemBiases: tf.tensor1d(biases),
              users: tf.tensor1d(rowUsers, "int32"),
              excludedOffsets: tf.tensor1d(excluded.offsets, "int32"),
              excludedItems: tf.tensor1d(excluded.items, "int32"),
            },
            k,
          ),
        );
        expectReferenceLists({ values, indices }, rowUsers, excluded, k, (b) =>
          Float32Array.from({ length: items }, (_, i) => {
            let score = withBiases ? biases[i]! : 0;
            for (let d = 0; d < dim; d++) score += userRows[b * dim + d]! * itemFactors[i * dim + d]!;
            return score;
          }),
        );
      },
    );

    it.each([
      [5, 64, 3],
      // Rows wide enough for the selection's floor (the least of k stretches' maxima).
      [6, 2000, 10],
      [6, 1000, 25],
    ])("KdrecTopKExcluding with no excluded lists ranks every item (%i rows x %i items, k %i)", (rows, items, k) => {
      const scores = scoreBlock(rows, items, items + k);
      // Rising scores (every item beats the k-th so far), all NaN but two, all -∞ but a NaN, and
      // the best items bunched in one stretch.
      for (let i = 0; i < items; i++) scores[i] = i / items;
      scores.fill(Number.NaN, items, 2 * items).set([3, -1], items + items / 2);
      scores.fill(Number.NEGATIVE_INFINITY, 2 * items, 3 * items)[2 * items + 7] = Number.NaN;
      for (let i = 0; i < items; i++) scores[3 * items + i] = i < 2 * k ? 10 + (i % 3) : -i / items;
      const { indices, values } = tf.tidy(() =>
        topKExcluding(
          {
            scores: tf.tensor2d(scores, [rows, items]),
            users: tf.tensor1d(
              Int32Array.from({ length: rows }, (_, b) => b),
              "int32",
            ),
            excludedOffsets: tf.tensor1d([], "int32"),
            excludedItems: tf.tensor1d([], "int32"),
          },
          k,
        ),
      );
      const [got, gotScores] = [Array.from(indices.dataSync()), Array.from(values.dataSync())];
      tf.dispose([indices, values]);
      for (let b = 0; b < rows; b++) {
        const expected = referenceTopK(scores.subarray(b * items, (b + 1) * items), new Set(), k);
        expect(got.slice(b * k, (b + 1) * k)).toEqual(expected.items);
        expect(gotScores.slice(b * k, (b + 1) * k)).toEqual(expected.scores);
      }
    });

    it("refuses inconsistent inputs with a message naming the problem, and leaks no tensor", () => {
      const before = tf.memory().numTensors;
      const scores = tf.tensor2d([1, 2, 3, 4], [2, 2]);
      const ints = (values: number[]) => tf.tensor1d(values, "int32");
      // One call of each kernel on the 2 × 2 block, with the given targets / users and excluded lists.
      const ranks = (rows: number[], items: number[], offsets: number[], excluded: number[]) => () =>
        heldOutRanks(
          {
            scores,
            targetRows: ints(rows),
            targetItems: ints(items),
            excludedOffsets: ints(offsets),
            excludedItems: ints(excluded),
          },
          false,
        );
      const scoring =
        (rowShape: [number, number], itemShape: [number, number], biases: number, users = [0, 1]) =>
        () =>
          scoreTopKExcluding(
            {
              userRows: tf.zeros(rowShape),
              itemFactors: tf.zeros(itemShape),
              itemBiases: tf.zeros([biases]) as tf.Tensor1D,
              users: ints(users),
              excludedOffsets: ints([0, 0, 0]),
              excludedItems: ints([]),
            },
            1,
          );
      const top = (users: number[], offsets: number[], excluded: number[]) => () =>
        topKExcluding({ scores, users: ints(users), excludedOffsets: ints(offsets), excludedItems: ints(excluded) }, 1);
      const cases: Array<[() => unknown, RegExp]> = [
        [ranks([2], [0], [0, 0, 0], []), /target's row or item is out of range/],
        [ranks([0], [0], [0, 1, 0], [1]), /excluded_offsets must rise/],
        [ranks([0], [0], [0, 1, 1], [9]), /excluded item is out of range/],
        [top([0, 5], [0, 0, 0], []), /user is outside the excluded lists/],
        [top([0, 1], [0, 1, 1], [-1]), /excluded item is out of range/],
        [scoring([2, 3], [2, 2], 0), /must have the same width/],
        [scoring([2, 2], [2, 2], 3), /item_biases must be empty or one per item/],
        [scoring([2, 2], [2, 2], 0, [0, 9]), /user is outside the excluded lists/],
      ];
      for (const [call, message] of cases) expect(() => tf.tidy(call as () => tf.Tensor)).toThrow(message);
      scores.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it("leaves the tensor count where it was over repeated calls", () => {
      const scores = scoreBlock(8, 50, 4);
      const run = () =>
        ranksOf(scores, [8, 50], [0, 1, 7], [3, 4, 5], { offsets: new Int32Array(9), items: new Int32Array(0) }, false);
      run();
      const before = tf.memory().numTensors;
      for (let r = 0; r < 5; r++) run();
      expect(tf.memory().numTensors).toBe(before);
    });
  }, ["tensorflow"]);

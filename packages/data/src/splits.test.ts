import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import type { Interactions } from "./interactions.js";
import { featureColumnNames, featureColumns, itemFeatureLists, userFeatureLists } from "./side_features.js";
import { coldItemsSplit, leaveLastOut, randomSplit, temporalSplit } from "./splits.js";
import { syntheticDataset } from "./synthetic.js";

// user 0: items at t=1,2,3,3 (tie at t=3 between item ids "10" and "9": "10" sorts last numerically)
// user 1: two interactions only; user 2: three.
const data: Interactions = {
  users: Int32Array.from([0, 0, 0, 0, 1, 1, 2, 2, 2]),
  items: Int32Array.from([0, 1, 3, 2, 0, 1, 1, 2, 3]),
  timestamps: Float64Array.from([1, 2, 3, 3, 5, 6, 9, 8, 7]),
  userIds: ["a", "b", "c"],
  itemIds: ["1", "2", "9", "10"],
};
const itemIdsOf = (part: Interactions) => Array.from(part.items, (i) => part.itemIds[i]);

describe("leaveLastOut", () => {
  it("holds out the last and second-to-last by (timestamp, numeric item id)", () => {
    const split = leaveLastOut(data);
    expect(itemIdsOf(split.test)).toEqual(["10", "2"]);
    expect(itemIdsOf(split.valid)).toEqual(["9", "9"]);
    expect(Array.from(split.test.users)).toEqual([0, 2]);
    expect(split.train.users.length).toBe(5); // user 0: 2, user 1: both (fewer than 3), user 2: 1
    expect(Array.from(split.train.users)).toEqual([0, 0, 1, 1, 2]);
    expect(split.train.userIds).toBe(data.userIds);
  });
});

describe("temporalSplit", () => {
  it("cuts all interactions at global time quantiles", () => {
    const split = temporalSplit(data, 0.2, 0.3);
    if (E.isLeft(split)) throw new Error(split.left.message);
    const times = (part: Interactions) => Array.from(part.timestamps!);
    expect(times(split.right.test).sort()).toEqual([7, 8, 9]);
    expect(times(split.right.valid).sort()).toEqual([5, 6]);
    expect(Math.max(...times(split.right.train))).toBeLessThanOrEqual(3);
  });

  it("refuses data without timestamps and impossible ratios", () => {
    const { timestamps: _, ...untimed } = data;
    expect(E.isLeft(temporalSplit(untimed, 0.1, 0.1))).toBe(true);
    const bad = temporalSplit(data, 0.6, 0.5);
    expect(E.isLeft(bad) && bad.left.message).toMatch(/validRatio \+ testRatio < 1/);
  });
});

describe("randomSplit", () => {
  const synthetic = syntheticDataset({ seed: 1, users: 100, items: 200 }).interactions;

  it("is seeded, keeps every interaction exactly once and at least one training item per user", () => {
    const a = randomSplit(synthetic, 0.1, 0.2, 7);
    const b = randomSplit(synthetic, 0.1, 0.2, 7);
    const c = randomSplit(synthetic, 0.1, 0.2, 8);
    if (E.isLeft(a) || E.isLeft(b) || E.isLeft(c)) throw new Error("split failed");
    expect(a.right.test.items).toEqual(b.right.test.items);
    expect(a.right.test.items).not.toEqual(c.right.test.items);
    const { train, valid, test } = a.right;
    expect(train.users.length + valid.users.length + test.users.length).toBe(synthetic.users.length);
    expect(new Set(train.users).size).toBe(100);
    expect(test.users.length / synthetic.users.length).toBeCloseTo(0.2, 1);
  });
});

describe("coldItemsSplit", () => {
  it("holds out a share of the items entirely: half of them validation items, half test items, each ranked alone", () => {
    const data = syntheticDataset({ seed: 3, users: 80, items: 60 }).interactions;
    const split = coldItemsSplit(data, 0.2, 7);
    if (E.isLeft(split)) throw new Error(split.left.message);
    const { train, valid, test, candidates } = split.right;
    const [validItems, testItems] = [new Set(candidates!.valid), new Set(candidates!.test)];
    expect(validItems.size + testItems.size).toBe(Math.round(new Set(data.items).size * 0.2));
    expect([...validItems].some((i) => testItems.has(i))).toBe(false);
    expect([...train.items].some((i) => validItems.has(i) || testItems.has(i))).toBe(false);
    expect([...valid.items].every((i) => validItems.has(i))).toBe(true);
    expect([...test.items].every((i) => testItems.has(i))).toBe(true);
    expect(train.items.length + valid.items.length + test.items.length).toBe(data.items.length);
    // Seeded: the same items again; another seed, others.
    const again = coldItemsSplit(data, 0.2, 7);
    expect(E.isRight(again) && again.right.candidates).toEqual(candidates);
    const other = coldItemsSplit(data, 0.2, 8);
    expect(E.isRight(other) && other.right.candidates).not.toEqual(candidates);
    expect(E.isLeft(coldItemsSplit(data, 1.5, 7))).toBe(true);
  });
});

describe("side features", () => {
  it("lists item categories and user columns, numeric columns by decade", () => {
    const users = userFeatureLists({ columns: { age: ["24", "53", ""], gender: ["M", "F", "F"] } }, 3)!;
    expect(users.names).toEqual(["age=20s", "gender=M", "age=50s", "gender=F"]);
    expect(Array.from(users.offsets)).toEqual([0, 2, 4, 5]);
    expect(Array.from(users.index)).toEqual([0, 1, 2, 3, 3]);
    const items = itemFeatureLists(
      { categoryNames: ["A", "B"], categoryOffsets: Int32Array.of(0, 1, 3), categoryIndex: Int32Array.of(1, 0, 1) },
      3,
    )!;
    // A third item the side information does not know has no feature.
    expect(Array.from(items.offsets)).toEqual([0, 1, 3, 3]);
    expect(itemFeatureLists({}, 3)).toBeUndefined();
  });

  it("keeps the features of chosen columns only, renumbered", () => {
    const users = userFeatureLists(
      { columns: { age: ["24", "53", ""], zip: ["85711", "T8H1N", "85711"], gender: ["M", "F", "F"] } },
      3,
    )!;
    expect(featureColumnNames(users)).toEqual(["age", "zip", "gender"]);
    const kept = featureColumns(users, ["gender", "age"]);
    expect(kept.names).toEqual(["age=20s", "gender=M", "age=50s", "gender=F"]);
    expect(Array.from(kept.offsets)).toEqual([0, 2, 4, 5]);
    expect(Array.from(kept.index)).toEqual([0, 1, 2, 3, 3]);
    expect(featureColumns(users, []).names).toEqual([]);
    // Codes that are numbers are categories when the side information says which columns are quantities.
    const coded = userFeatureLists({ columns: { age: ["18", "25"], occupation: ["10", "16"] }, quantities: [] }, 2)!;
    expect(coded.names).toEqual(["age=18", "occupation=10", "age=25", "occupation=16"]);
  });
});

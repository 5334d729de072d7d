/**
 * Evaluation splits: leave-last-out (kdrec's standard protocol), a global temporal split, a
 * seeded random per-user split and a cold-items split. Every split shares the id tables of its input.
 * @module
 */
import { integerInRange, type KdrecError, kdrecError, numberInRange, seededRandom, taggedUnion } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import type * as t from "io-ts";
import { compareIds, type Interactions, numUsers, selectRows } from "./interactions.js";

/**
 * Train, validation and test interactions over the same users and items.
 * @category Splits
 */
export interface Split {
  readonly protocol: SplitProtocol;
  readonly train: Interactions;
  readonly valid: Interactions;
  readonly test: Interactions;
  /**
   * The items validation and test each rank (ascending); every item when absent. The cold-items
   * protocol ranks only its held-out items, which training never saw.
   */
  readonly candidates?: { readonly valid: Int32Array; readonly test: Int32Array };
}

/**
 * How a split was made (written to `meta.json` beside the split files).
 * @category Splits
 */
export type SplitProtocol =
  | { readonly name: "leave-last-out" }
  | { readonly name: "temporal"; readonly validRatio: number; readonly testRatio: number }
  | { readonly name: "random"; readonly validRatio: number; readonly testRatio: number; readonly seed: number }
  | { readonly name: "cold-items"; readonly fraction: number; readonly seed: number };

const ratios = { validRatio: numberInRange(0, 0.9), testRatio: numberInRange(0.01, 0.9) };
/**
 * The codec of a {@link SplitProtocol}: `name` picks the protocol (the valid names are listed
 * when it is wrong); unknown keys are refused.
 * @category Splits
 */
export const SplitProtocol: t.Type<SplitProtocol, SplitProtocol, unknown> = taggedUnion<SplitProtocol>(
  "name",
  () =>
    new Map([
      ["leave-last-out", { required: {}, optional: {} }],
      ["temporal", { required: ratios, optional: {} }],
      ["random", { required: { ...ratios, seed: integerInRange(0) }, optional: {} }],
      ["cold-items", { required: { fraction: numberInRange(0.01, 0.5), seed: integerInRange(0) }, optional: {} }],
    ]),
  "SplitProtocol",
);

/**
 * Each user's rows in the protocol's order: by timestamp, then by original item id (numerically
 * where ids are numbers), then by file order. Data without timestamps keeps file order.
 */
export const rowsByUserInTime = (data: Interactions): Int32Array[] => {
  const perUser: number[][] = Array.from({ length: numUsers(data) }, () => []);
  for (let r = 0; r < data.users.length; r++) perUser[data.users[r]!]!.push(r);
  const { timestamps, items, itemIds } = data;
  // Dense item indices follow the original ids' order, so comparing them is comparing the ids.
  const itemOrderIsIdOrder = isSortedById(itemIds);
  return perUser.map((rows) => {
    rows.sort((a, b) => {
      const dt = timestamps === undefined ? 0 : timestamps[a]! - timestamps[b]!;
      if (dt !== 0) return dt;
      const di = itemOrderIsIdOrder ? items[a]! - items[b]! : compareIds(itemIds[items[a]!]!, itemIds[items[b]!]!);
      return di !== 0 ? di : a - b;
    });
    return Int32Array.from(rows);
  });
};

const isSortedById = (ids: ReadonlyArray<string>): boolean => {
  for (let i = 1; i < ids.length; i++) if (compareIds(ids[i - 1]!, ids[i]!) > 0) return false;
  return true;
};

const assemble = (data: Interactions, protocol: SplitProtocol, parts: [number[], number[], number[]]): Split => {
  const [train, valid, test] = parts.map((rows) => selectRows(data, Int32Array.from(rows.sort((a, b) => a - b))));
  return { protocol, train: train!, valid: valid!, test: test! };
};

/**
 * Leave-last-out: per user, in time order (ties by original item id), the last interaction is
 * the test item and the second-to-last the validation item; the rest are training. Users with
 * fewer than 3 interactions keep all of them in training and are not evaluated.
 * On MovieLens-100K: 98,114 / 943 / 943.
 * @category Splits
 */
export const leaveLastOut = (data: Interactions): Split => {
  const train: number[] = [];
  const valid: number[] = [];
  const test: number[] = [];
  for (const rows of rowsByUserInTime(data)) {
    if (rows.length < 3) {
      train.push(...rows);
      continue;
    }
    train.push(...rows.subarray(0, rows.length - 2));
    valid.push(rows[rows.length - 2]!);
    test.push(rows[rows.length - 1]!);
  }
  return assemble(data, { name: "leave-last-out" }, [train, valid, test]);
};

/**
 * Temporal global split: all interactions in time order; the last `testRatio` of them are the
 * test set, the `validRatio` before those the validation set. Test and validation sets hold many
 * items per user. Needs timestamps.
 * @category Splits
 */
export const temporalSplit = (
  data: Interactions,
  validRatio: number,
  testRatio: number,
): E.Either<KdrecError, Split> => {
  const { timestamps } = data;
  if (timestamps === undefined)
    return E.left(kdrecError("INVALID_ARGUMENT", "the data has no timestamps", "temporalSplit"));
  const ratios = checkRatios(validRatio, testRatio, "temporalSplit");
  if (E.isLeft(ratios)) return ratios;
  const order = Array.from({ length: data.users.length }, (_, r) => r).sort(
    (a, b) => timestamps[a]! - timestamps[b]! || a - b,
  );
  const n = order.length;
  const testStart = n - Math.round(n * testRatio);
  const validStart = testStart - Math.round(n * validRatio);
  return E.right(
    assemble(data, { name: "temporal", validRatio, testRatio }, [
      order.slice(0, validStart),
      order.slice(validStart, testStart),
      order.slice(testStart),
    ]),
  );
};

/**
 * Random per-user split (seeded): each user's interactions are shuffled and cut by the ratios,
 * keeping at least one training interaction per user.
 * @category Splits
 */
export const randomSplit = (
  data: Interactions,
  validRatio: number,
  testRatio: number,
  seed: number,
): E.Either<KdrecError, Split> => {
  const ratios = checkRatios(validRatio, testRatio, "randomSplit");
  if (E.isLeft(ratios)) return ratios;
  const rng = seededRandom(seed);
  const parts: [number[], number[], number[]] = [[], [], []];
  rowsByUserInTime(data).forEach((rows, user) => {
    const shuffled = rng.split(`user-${user}`).shuffle(Int32Array.from(rows));
    const nTest = Math.min(Math.round(shuffled.length * testRatio), shuffled.length - 1);
    const nValid = Math.min(Math.round(shuffled.length * validRatio), shuffled.length - 1 - nTest);
    parts[2].push(...shuffled.subarray(0, nTest));
    parts[1].push(...shuffled.subarray(nTest, nTest + nValid));
    parts[0].push(...shuffled.subarray(nTest + nValid));
  });
  return E.right(assemble(data, { name: "random", validRatio, testRatio, seed }, parts));
};

const checkRatios = (validRatio: number, testRatio: number, where: string): E.Either<KdrecError, void> =>
  validRatio >= 0 && testRatio > 0 && validRatio + testRatio < 1
    ? E.right(undefined)
    : E.left(
        kdrecError(
          "INVALID_ARGUMENT",
          `expected validRatio >= 0, testRatio > 0 and validRatio + testRatio < 1, got ${validRatio} and ${testRatio}`,
          where,
        ),
      );

/**
 * Cold items (seeded): `fraction` of the items that have interactions are held out entirely —
 * none of their interactions is in training. Half of them (by the same draw) are validation
 * items, the other half test items, and each set is ranked among its own items only
 * (`candidates`): how well a model scores items it never trained on, which only side
 * information can tell it. Disjoint item sets keep model selection on validation from learning
 * which test items are popular.
 * @example
 * ```ts
 * const split = coldItemsSplit(dataset.interactions, 0.1, 1);
 * if (E.isRight(split)) split.right.candidates; // { valid, test }: the held-out items of each
 * ```
 * @category Splits
 */
export const coldItemsSplit = (data: Interactions, fraction: number, seed: number): E.Either<KdrecError, Split> => {
  if (!(fraction > 0 && fraction < 1))
    return E.left(kdrecError("INVALID_ARGUMENT", `fraction must be in (0, 1), got ${fraction}`, "coldItemsSplit"));
  const seen = new Uint8Array(data.itemIds.length);
  for (const i of data.items) seen[i] = 1;
  const withRows = Int32Array.from(Array.from({ length: seen.length }, (_, i) => i).filter((i) => seen[i] === 1));
  const cold = seededRandom(seed)
    .split("items")
    .shuffle(withRows)
    .slice(0, Math.max(2, Math.round(withRows.length * fraction)));
  // 0: warm, 1: a validation item, 2: a test item.
  const role = new Uint8Array(seen.length);
  cold.forEach((item, k) => {
    role[item] = k % 2 === 0 ? 1 : 2;
  });
  const parts: [number[], number[], number[]] = [[], [], []];
  for (let r = 0; r < data.items.length; r++) parts[role[data.items[r]!]!]!.push(r);
  const of = (wanted: number) => Int32Array.from(cold.filter((_, k) => k % 2 === wanted)).sort();
  return E.right({
    ...assemble(data, { name: "cold-items", fraction, seed }, parts),
    candidates: { valid: of(0), test: of(1) },
  });
};

/**
 * Makes the split a protocol describes.
 * @category Splits
 */
export const splitBy = (data: Interactions, protocol: SplitProtocol): E.Either<KdrecError, Split> => {
  switch (protocol.name) {
    case "leave-last-out":
      return E.right(leaveLastOut(data));
    case "temporal":
      return temporalSplit(data, protocol.validRatio, protocol.testRatio);
    case "random":
      return randomSplit(data, protocol.validRatio, protocol.testRatio, protocol.seed);
    case "cold-items":
      return coldItemsSplit(data, protocol.fraction, protocol.seed);
  }
};

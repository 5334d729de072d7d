/**
 * Negative samplers: items a user has not interacted with in training, drawn uniformly or in
 * proportion to popularity^exponent (Walker's alias method), always through a seeded stream.
 * @module
 */
import { type KdrecError, kdrecError, type Random } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import { hasItem, type UserItems } from "./user_items.js";

/**
 * Draws one negative item for a user.
 * @category Sampling
 */
export interface NegativeSampler {
  readonly name: string;
  sample(user: number, rng: Random): number;
}

// Rejection sampling is fast while a user has a small share of the catalogue; past this many
// rejections the sampler draws from the explicit complement instead.
const MAX_REJECTIONS = 64;

// Up to this many (user, item) cells, membership is a bitset (32 MiB at most): one load per test
// instead of a binary search over the user's items.
const MAX_BITSET_CELLS = 2 ** 28;

/** Whether `user` has `item` in `positives`: a bitset where it fits, else binary search. */
const membership = (positives: UserItems): ((user: number, item: number) => boolean) => {
  const users = positives.offsets.length - 1;
  const width = positives.numItems;
  if (users * width > MAX_BITSET_CELLS) return (user, item) => hasItem(positives, user, item);
  const bits = new Int32Array(Math.ceil((users * width) / 32));
  for (let u = 0; u < users; u++)
    for (let k = positives.offsets[u]!; k < positives.offsets[u + 1]!; k++) {
      const cell = u * width + positives.items[k]!;
      bits[cell >>> 5]! |= 1 << (cell & 31);
    }
  return (user, item) => {
    const cell = user * width + item;
    return (bits[cell >>> 5]! & (1 << (cell & 31))) !== 0;
  };
};

const checkSampleable = (positives: UserItems, where: string): E.Either<KdrecError, void> => {
  for (let u = 0; u + 1 < positives.offsets.length; u++) {
    if (positives.offsets[u + 1]! - positives.offsets[u]! >= positives.numItems) {
      return E.left(
        kdrecError("INVALID_ARGUMENT", `user ${u} has interacted with every item: no negative exists`, where),
      );
    }
  }
  return E.right(undefined);
};

const complementDraw = (positives: UserItems, user: number, weight: (item: number) => number, rng: Random): number => {
  let total = 0;
  for (let i = 0; i < positives.numItems; i++) if (!hasItem(positives, user, i)) total += weight(i);
  let target = rng.float() * total;
  let last = -1;
  for (let i = 0; i < positives.numItems; i++) {
    if (hasItem(positives, user, i)) continue;
    last = i;
    target -= weight(i);
    if (target < 0) return i;
  }
  return last;
};

/**
 * Uniform over the items the user has not interacted with in `positives` (the training set).
 * @category Sampling
 */
export const uniformNegatives = (positives: UserItems): E.Either<KdrecError, NegativeSampler> =>
  E.map(() => {
    const has = membership(positives);
    return {
      name: "uniform",
      sample: (user: number, rng: Random): number => {
        for (let attempt = 0; attempt < MAX_REJECTIONS; attempt++) {
          const item = rng.int(positives.numItems);
          if (!has(user, item)) return item;
        }
        return complementDraw(positives, user, () => 1, rng);
      },
    };
  })(checkSampleable(positives, "uniformNegatives"));

/**
 * In proportion to (training popularity + 1)^exponent over the items the user has not
 * interacted with; exponent 0 is uniform, 1 is popularity-proportional (the +1 keeps unseen
 * items possible).
 * @category Sampling
 */
export const popularityNegatives = (
  positives: UserItems,
  itemCounts: ArrayLike<number>,
  exponent: number,
): E.Either<KdrecError, NegativeSampler> => {
  if (!(Number.isFinite(exponent) && exponent >= 0)) {
    return E.left(kdrecError("INVALID_ARGUMENT", `expected an exponent >= 0, got ${exponent}`, "popularityNegatives"));
  }
  if (itemCounts.length !== positives.numItems) {
    return E.left(
      kdrecError(
        "INVALID_ARGUMENT",
        `expected ${positives.numItems} item counts, got ${itemCounts.length}`,
        "popularityNegatives",
      ),
    );
  }
  const weights = Float64Array.from({ length: positives.numItems }, (_, i) => (itemCounts[i]! + 1) ** exponent);
  const alias = aliasTable(weights);
  return E.map(() => {
    const has = membership(positives);
    return {
      name: `popularity^${exponent}`,
      sample: (user: number, rng: Random): number => {
        for (let attempt = 0; attempt < MAX_REJECTIONS; attempt++) {
          const item = alias(rng);
          if (!has(user, item)) return item;
        }
        return complementDraw(positives, user, (i) => weights[i]!, rng);
      },
    };
  })(checkSampleable(positives, "popularityNegatives"));
};

/** Walker's alias method: O(n) set-up, O(1) draws in proportion to `weights`. */
const aliasTable = (weights: Float64Array): ((rng: Random) => number) => {
  const n = weights.length;
  const total = weights.reduce((a, b) => a + b, 0);
  const probability = new Float64Array(n);
  const alias = new Int32Array(n);
  const scaled = Float64Array.from(weights, (w) => (w * n) / total);
  const small: number[] = [];
  const large: number[] = [];
  scaled.forEach((p, i) => {
    (p < 1 ? small : large).push(i);
  });
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large.pop()!;
    probability[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    (scaled[l]! < 1 ? small : large).push(l);
  }
  for (const i of [...small, ...large]) probability[i] = 1;
  return (rng) => {
    const column = rng.int(n);
    return rng.float() < probability[column]! ? column : alias[column]!;
  };
};

/**
 * Training interactions per item (the popularity the popularity sampler and MostPop use).
 * @category Sampling
 */
export const itemPopularity = (items: Int32Array, numItems: number): Int32Array => {
  const counts = new Int32Array(numItems);
  for (let r = 0; r < items.length; r++) counts[items[r]!]! += 1;
  return counts;
};

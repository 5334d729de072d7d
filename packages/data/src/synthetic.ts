/**
 * kdrec's seeded synthetic dataset: the embedded default for the quick start and unit tests.
 *
 * Latent-factor users and items (items cluster around category centroids), power-law item
 * popularity and user activity, and per-user sequences in time whose taste drifts: each next item
 * is drawn (without replacement) in proportion to popularity × exp(affinity), the user's vector
 * takes a small random-walk step after every interaction, and gaps between interactions are
 * exponential. Ratings 1–5 follow the affinity. Same options and seed, same data.
 * @module
 */
import { integerInRange, numberInRange, positiveNumber, type Random, seededRandom, strictType } from "@kdrec/core";
import * as t from "io-ts";
import type { Dataset } from "./interactions.js";

/**
 * Options of {@link syntheticDataset}; every field has a default.
 * @category Synthetic
 */
export const SyntheticOptions = strictType(
  {},
  {
    seed: t.number,
    users: integerInRange(3),
    items: integerInRange(3),
    /** Dimension of the latent factors. */
    dim: integerInRange(1, 512),
    categories: integerInRange(1),
    /** The fewest interactions a user has (at least 3, so every user is evaluated). */
    minPerUser: integerInRange(3),
    /** Pareto shape of user activity: smaller gives heavier tails. */
    activityShape: positiveNumber,
    /** Zipf exponent of item popularity. */
    popularityExponent: numberInRange(0, 4),
    /** How strongly the latent affinity drives choices (0: popularity alone). */
    affinity: numberInRange(0, 50),
    /** Random-walk step of a user's taste per interaction. */
    drift: numberInRange(0, 1),
  },
  "SyntheticOptions",
);
/**
 * The decoded form of {@link SyntheticOptions}.
 * @category Synthetic
 */
export type SyntheticOptions = t.TypeOf<typeof SyntheticOptions>;

const DEFAULTS: Required<SyntheticOptions> = {
  seed: 42,
  users: 600,
  items: 1000,
  dim: 16,
  categories: 12,
  minPerUser: 8,
  activityShape: 1.6,
  popularityExponent: 1.1,
  affinity: 1.5,
  drift: 0.08,
};

const START = 1_600_000_000; // 2020-09-13: any fixed clock will do
const DAY = 86_400;

const gaussianRows = (rng: Random, rows: number, dim: number, scale = 1): Float64Array => {
  const out = new Float64Array(rows * dim);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal() * scale;
  return out;
};

/**
 * Generates the synthetic dataset. Users and items have numeric ids `1..n`; items carry titles
 * and one category each.
 * @example
 * ```ts
 * const data = syntheticDataset({ seed: 7, users: 200, items: 300 });
 * numInteractions(data.interactions); // the same number for seed 7, every run
 * ```
 * @category Synthetic
 */
export const syntheticDataset = (options: SyntheticOptions = {}): Dataset => {
  const o = { ...DEFAULTS, ...options };
  const rng = seededRandom(o.seed);
  const { dim } = o;

  // Items: category centroids plus noise; popularity by Zipf over a random rank order.
  const centroids = gaussianRows(rng.split("centroids"), o.categories, dim);
  const itemRng = rng.split("items");
  const itemCategory = Int32Array.from({ length: o.items }, () => itemRng.int(o.categories));
  const itemVectors = gaussianRows(itemRng, o.items, dim, 0.6);
  for (let i = 0; i < o.items; i++) {
    for (let d = 0; d < dim; d++) itemVectors[i * dim + d]! += centroids[itemCategory[i]! * dim + d]!;
  }
  const rank = rng.split("popularity").shuffle(Int32Array.from({ length: o.items }, (_, i) => i));
  const logPopularity = Float64Array.from(rank, (r) => -o.popularityExponent * Math.log(r + 1));

  const builderUsers: number[] = [];
  const builderItems: number[] = [];
  const ratings: number[] = [];
  const timestamps: number[] = [];
  const scale = o.affinity / Math.sqrt(dim);
  const maxPerUser = Math.max(o.minPerUser, Math.floor(o.items / 2));
  const taste = new Float64Array(dim);
  const affinity = new Float64Array(o.items);
  let bestKey = Number.NEGATIVE_INFINITY;
  const taken = new Uint8Array(o.items);

  for (let u = 0; u < o.users; u++) {
    const userRng = rng.split(`user-${u}`);
    // Pareto activity: most users are light, a few are heavy.
    const count = Math.min(maxPerUser, Math.floor(o.minPerUser * (1 - userRng.float()) ** (-1 / o.activityShape)));
    const favourite = userRng.int(o.categories);
    for (let d = 0; d < dim; d++) taste[d] = 0.7 * centroids[favourite * dim + d]! + 0.7 * userRng.normal();
    taken.fill(0);
    let clock = START + Math.floor(userRng.float() * 180 * DAY);
    for (let k = 0; k < count; k++) {
      let best = -1;
      let sum = 0;
      let sumSquares = 0;
      for (let i = 0; i < o.items; i++) {
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += taste[d]! * itemVectors[i * dim + d]!;
        affinity[i] = dot;
        sum += dot;
        sumSquares += dot * dot;
        if (taken[i]) continue;
        // Gumbel-max: argmax of log-weight + Gumbel noise samples in proportion to the weight.
        const key = logPopularity[i]! + scale * dot - Math.log(-Math.log(1 - userRng.float()));
        if (best < 0 || key > bestKey) {
          best = i;
          bestKey = key;
        }
      }
      taken[best] = 1;
      // The rating follows how much the user likes the item relative to the whole catalogue.
      const mean = sum / o.items;
      const z = (affinity[best]! - mean) / Math.sqrt(Math.max(1e-12, sumSquares / o.items - mean * mean));
      const rating = Math.min(5, Math.max(1, Math.round(1.6 + 0.9 * z + 0.8 * userRng.normal())));
      clock += Math.ceil(-Math.log(1 - userRng.float()) * DAY);
      builderUsers.push(u);
      builderItems.push(best);
      ratings.push(rating);
      timestamps.push(clock);
      for (let d = 0; d < dim; d++) taste[d] = Math.sqrt(1 - o.drift ** 2) * taste[d]! + o.drift * userRng.normal();
    }
  }

  const categoryNames = Array.from({ length: o.categories }, (_, c) => `category-${c + 1}`);
  return {
    name: `synthetic(seed=${o.seed})`,
    interactions: {
      users: Int32Array.from(builderUsers),
      items: Int32Array.from(builderItems),
      ratings: Float32Array.from(ratings),
      timestamps: Float64Array.from(timestamps),
      userIds: Array.from({ length: o.users }, (_, u) => String(u + 1)),
      itemIds: Array.from({ length: o.items }, (_, i) => String(i + 1)),
    },
    items: {
      titles: Array.from({ length: o.items }, (_, i) => `Item ${i + 1} (${categoryNames[itemCategory[i]!]})`),
      categoryNames,
      categoryOffsets: Int32Array.from({ length: o.items + 1 }, (_, i) => i),
      categoryIndex: itemCategory,
    },
    ratingRange: [1, 5],
  };
};

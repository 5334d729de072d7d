/**
 * kdrec's seeded synthetic dataset: the embedded default for the quick start and unit tests.
 *
 * Latent-factor users and items (items cluster around category centroids), power-law item
 * popularity and user activity, and per-user sequences in time whose taste drifts: each next item
 * is drawn (without replacement) in proportion to popularity × exp(affinity) — by resampling 32
 * candidates, so a choice costs O(log items), not a pass over the catalogue — the user's vector
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
 * Walker's alias tables for several discrete distributions side by side: distribution `g` covers
 * entries `start[g]..start[g+1]` of `values`, and a draw costs one uniform number, whatever its size.
 */
const aliasTables = (weights: Float64Array, values: Int32Array, start: Int32Array) => {
  const accept = new Float64Array(weights.length);
  const alias = new Int32Array(weights.length);
  for (let g = 0; g + 1 < start.length; g++) {
    const from = start[g]!;
    const n = start[g + 1]! - from;
    let total = 0;
    for (let k = from; k < from + n; k++) total += weights[k]!;
    const small: number[] = [];
    const large: number[] = [];
    for (let k = from; k < from + n; k++) {
      accept[k] = (weights[k]! * n) / total;
      alias[k] = k;
      (accept[k]! < 1 ? small : large).push(k);
    }
    // Vose's method: pair each under-full slot with an over-full one.
    while (small.length > 0 && large.length > 0) {
      const under = small.pop()!;
      const over = large[large.length - 1]!;
      alias[under] = over;
      accept[over] = accept[over]! + accept[under]! - 1;
      if (accept[over]! < 1) small.push(large.pop()!);
    }
    for (const k of [...small, ...large]) accept[k] = 1;
  }
  // One slot's acceptance, own value and alias's value side by side: a draw reads one cache line.
  const slots = new Float64Array(3 * weights.length);
  for (let k = 0; k < weights.length; k++) {
    slots[3 * k] = accept[k]!;
    slots[3 * k + 1] = values[k]!;
    slots[3 * k + 2] = values[alias[k]!]!;
  }
  return (g: number, uniform: number): number => {
    const from = start[g]!;
    const scaled = uniform * (start[g + 1]! - from);
    const k = from + Math.floor(scaled);
    return slots[3 * k + (scaled - Math.floor(scaled) < slots[3 * k]! ? 1 : 2)]!;
  };
};

/** Candidates drawn per choice: the resampling step's bias shrinks as 1 / CANDIDATES. */
const CANDIDATES = 32;
/** The share of candidates drawn by popularity alone (the rest by the user's categories). */
const BY_POPULARITY = 0.25;

/**
 * Draws a user's next item, not yet `taken` (marked 1), with probability ∝ popularity ×
 * exp(scale · taste · item), in O(categories · dim + log items) per candidate instead of a pass
 * over the catalogue: sampling-importance-resampling. {@link CANDIDATES} candidates come from a
 * proposal that mixes item popularity with popularity inside a category drawn by the taste's
 * affinity to the category centroids (cumulative tables, binary search); one is picked in
 * proportion to target / proposal. Exact as the candidates grow; when every candidate is taken
 * (a user who has seen most of the proposal's mass) it scans the untaken items exactly.
 */
export const choiceSampler = (
  itemVectors: Float64Array,
  logPopularity: Float64Array,
  itemCategory: Int32Array,
  centroids: Float64Array,
  dim: number,
  scale: number,
) => {
  const items = logPopularity.length;
  const categories = centroids.length / dim;
  // Single precision halves the memory each candidate's row read touches (the cost at scale).
  const vectors = Float32Array.from(itemVectors);
  const popularity = Float64Array.from(logPopularity, Math.exp);
  let total = 0;
  for (let i = 0; i < items; i++) total += popularity[i]!;
  // Table 0: every item by popularity; table 1 + c: category c's items by popularity.
  const byCategory = Int32Array.from({ length: items }, (_, i) => i).sort(
    (a, b) => itemCategory[a]! - itemCategory[b]! || a - b,
  );
  const groupStart = new Int32Array(categories + 1);
  for (let i = 0; i < items; i++) groupStart[itemCategory[i]! + 1]! += 1;
  for (let c = 0; c < categories; c++) groupStart[c + 1]! += groupStart[c]!;
  const groupTotal = new Float64Array(categories);
  for (let i = 0; i < items; i++) groupTotal[itemCategory[i]!]! += popularity[i]!;
  const order = new Int32Array(2 * items);
  order.set(Int32Array.from({ length: items }, (_, i) => i));
  order.set(byCategory, items);
  const draw = aliasTables(
    Float64Array.from(order, (i) => popularity[i]!),
    order,
    Int32Array.from({ length: categories + 2 }, (_, g) => (g === 0 ? 0 : items + groupStart[g - 1]!)),
  );
  const candidates = new Int32Array(CANDIDATES);
  const logWeights = new Float64Array(CANDIDATES);
  const categoryCumulative = new Float64Array(categories);
  const logProposal = new Float64Array(categories);
  const dot = (taste: Float64Array, table: Float32Array | Float64Array, row: number) => {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += taste[d]! * table[row * dim + d]!;
    return scale * sum;
  };

  const exactly = (taste: Float64Array, taken: Uint8Array, rng: Random): number => {
    let best = -1;
    let bestKey = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < items; i++) {
      if (taken[i] === 1) continue;
      // Gumbel-max: argmax of log-weight + Gumbel noise samples in proportion to the weight.
      const key = logPopularity[i]! + dot(taste, vectors, i) - Math.log(-Math.log(1 - rng.float()));
      if (key > bestKey) {
        best = i;
        bestKey = key;
      }
    }
    return best;
  };

  return (taste: Float64Array, taken: Uint8Array, rng: Random): number => {
    // Categories in proportion to their popularity × e^(affinity to the centroid): roughly the
    // target's mass per category.
    let maxLog = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < categories; c++) {
      logProposal[c] =
        groupTotal[c]! > 0 ? Math.log(groupTotal[c]!) + dot(taste, centroids, c) : Number.NEGATIVE_INFINITY;
      if (logProposal[c]! > maxLog) maxLog = logProposal[c]!;
    }
    let categoryTotal = 0;
    for (let c = 0; c < categories; c++) categoryCumulative[c] = categoryTotal += Math.exp(logProposal[c]! - maxLog);
    // An item's proposal probability over its popularity, per category: the weights' denominator.
    for (let c = 0; c < categories; c++) {
      const share =
        (Math.exp(logProposal[c]! - maxLog) / categoryTotal) * (groupTotal[c]! > 0 ? 1 / groupTotal[c]! : 0);
      logProposal[c] = Math.log(BY_POPULARITY / total + (1 - BY_POPULARITY) * share);
    }
    for (let attempt = 0; attempt < 4; attempt++) {
      let valid = 0;
      let maxWeight = Number.NEGATIVE_INFINITY;
      for (let m = 0; m < CANDIDATES; m++) {
        let i: number;
        if (rng.float() < BY_POPULARITY) {
          i = draw(0, rng.float());
        } else {
          // A category by the cumulative masses (few of them), then an item inside it.
          const x = rng.float() * categoryTotal;
          let c = 0;
          while (c < categories - 1 && categoryCumulative[c]! <= x) c += 1;
          i = draw(1 + c, rng.float());
        }
        candidates[m] = i;
        if (taken[i] === 1) {
          logWeights[m] = Number.NEGATIVE_INFINITY;
          continue;
        }
        // Target ∝ popularity × e^affinity over proposal ∝ popularity × (the category's term).
        logWeights[m] = dot(taste, vectors, i) - logProposal[itemCategory[i]!]!;
        if (logWeights[m]! > maxWeight) maxWeight = logWeights[m]!;
        valid += 1;
      }
      if (valid === 0) continue;
      let sum = 0;
      for (let m = 0; m < CANDIDATES; m++) sum += logWeights[m] = Math.exp(logWeights[m]! - maxWeight);
      let x = rng.float() * sum;
      for (let m = 0; m < CANDIDATES; m++) {
        x -= logWeights[m]!;
        if (x < 0 && logWeights[m]! > 0) return candidates[m]!;
      }
      for (let m = CANDIDATES - 1; m >= 0; m--) if (logWeights[m]! > 0) return candidates[m]!;
    }
    return exactly(taste, taken, rng);
  };
};

/**
 * How far an item's affinity to `taste` lies above the catalogue's mean, in standard deviations,
 * from the items' mean vector and covariance (O(dim²) per call instead of a pass over the items).
 */
const ratingScale = (itemVectors: Float64Array, dim: number) => {
  const items = itemVectors.length / dim;
  const mean = new Float64Array(dim);
  for (let i = 0; i < items; i++) for (let d = 0; d < dim; d++) mean[d]! += itemVectors[i * dim + d]! / items;
  const covariance = new Float64Array(dim * dim);
  for (let i = 0; i < items; i++)
    for (let a = 0; a < dim; a++) {
      const x = itemVectors[i * dim + a]! - mean[a]!;
      for (let b = 0; b < dim; b++) covariance[a * dim + b]! += (x * (itemVectors[i * dim + b]! - mean[b]!)) / items;
    }
  return (taste: Float64Array, item: number): number => {
    let dot = 0;
    let centre = 0;
    let variance = 0;
    for (let a = 0; a < dim; a++) {
      dot += taste[a]! * itemVectors[item * dim + a]!;
      centre += taste[a]! * mean[a]!;
      for (let b = 0; b < dim; b++) variance += taste[a]! * covariance[a * dim + b]! * taste[b]!;
    }
    return (dot - centre) / Math.sqrt(Math.max(1e-12, variance));
  };
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

  const choose = choiceSampler(itemVectors, logPopularity, itemCategory, centroids, dim, o.affinity / Math.sqrt(dim));
  const rate = ratingScale(itemVectors, dim);

  const builderUsers: number[] = [];
  const builderItems: number[] = [];
  const ratings: number[] = [];
  const timestamps: number[] = [];
  const maxPerUser = Math.max(o.minPerUser, Math.floor(o.items / 2));
  const taste = new Float64Array(dim);
  const taken = new Uint8Array(o.items);
  const history: number[] = [];

  for (let u = 0; u < o.users; u++) {
    const userRng = rng.split(`user-${u}`);
    // Pareto activity: most users are light, a few are heavy.
    const count = Math.min(maxPerUser, Math.floor(o.minPerUser * (1 - userRng.float()) ** (-1 / o.activityShape)));
    const favourite = userRng.int(o.categories);
    for (let d = 0; d < dim; d++) taste[d] = 0.7 * centroids[favourite * dim + d]! + 0.7 * userRng.normal();
    for (const i of history) taken[i] = 0;
    history.length = 0;
    let clock = START + Math.floor(userRng.float() * 180 * DAY);
    for (let k = 0; k < count; k++) {
      const best = choose(taste, taken, userRng);
      taken[best] = 1;
      history.push(best);
      // The rating follows how much the user likes the item relative to the whole catalogue.
      const rating = Math.min(5, Math.max(1, Math.round(1.6 + 0.9 * rate(taste, best) + 0.8 * userRng.normal())));
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

/**
 * A trained hierarchical tower as a recommender for live traffic. Per request the work is tiny —
 * a few hundred multiply-adds for the user vector and one dot product per item — so it runs as
 * plain loops over Float32Arrays: no tensor op is dispatched, which at this size would cost more
 * than the arithmetic.
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import { fillGroups, type HierarchicalTowerConfig, towerGrouping } from "@kdrec/students";
import * as E from "fp-ts/lib/Either.js";

/**
 * A tower's weights by name, as `HierarchicalAttentionTower.namedWeights()` returns them (and as
 * `kdrec run` saves them).
 * @category Serving
 */
export type NamedWeights = ReadonlyArray<{
  readonly name: string;
  readonly shape: ReadonlyArray<number>;
  readonly values: Float32Array;
}>;

/**
 * A user's history: items in time order, with their times (seconds) when sessions should be cut
 * by time.
 * @category Serving
 */
export interface History {
  readonly items: Int32Array;
  readonly times?: Float64Array;
}

/**
 * Options of a request.
 * @category Serving
 */
export interface RecommendOptions {
  /** Leave out the items of the history; default true. */
  readonly excludeHistory?: boolean;
  /** Further items to leave out. */
  readonly exclude?: Iterable<number>;
  /** With an empty history: `popularity` answers the most popular items instead of an error. */
  readonly fallback?: "popularity";
}

/**
 * Top-K items and their scores, best first.
 * @category Serving
 */
export interface Recommendations {
  readonly items: Int32Array;
  readonly scores: Float32Array;
  /** `tower`, or `popularity` when the fallback answered. */
  readonly source: "tower" | "popularity";
}

/**
 * A recommender over a catalogue of `items` items.
 * @category Serving
 */
export interface Recommender {
  readonly items: number;
  /** The user vector of a history (level 2 of the tower). */
  userVector(history: History): Float32Array;
  /** The top `k` items for a history. */
  recommend(history: History, k: number, options?: RecommendOptions): E.Either<KdrecError, Recommendations>;
}

const tanh = Math.tanh;

/** One attention pooling's weights: key kernel `[d, a]`, key bias `[a]`, query `[a]`. */
interface PoolingWeights {
  readonly key: Float32Array;
  readonly keyBias: Float32Array;
  readonly query: Float32Array;
}

/** Attention pooling into `out` over the `n` rows of width `d` of `x` where `valid`. */
const pool = (
  x: Float32Array,
  n: number,
  d: number,
  valid: ArrayLike<number>,
  { key, keyBias, query }: PoolingWeights,
  out: Float32Array,
): void => {
  const a = query.length;
  const logits = new Float64Array(n);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (valid[i] === 0) continue;
    let logit = 0;
    for (let j = 0; j < a; j++) {
      let h = keyBias[j]!;
      for (let c = 0; c < d; c++) h += x[i * d + c]! * key[c * a + j]!;
      logit += tanh(h) * query[j]!;
    }
    logits[i] = logit;
    if (logit > max) max = logit;
  }
  out.fill(0);
  if (max === Number.NEGATIVE_INFINITY) return; // nothing valid: zeros
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (valid[i] === 0) continue;
    logits[i] = Math.exp(logits[i]! - max);
    total += logits[i]!;
  }
  for (let i = 0; i < n; i++) {
    if (valid[i] === 0) continue;
    const w = logits[i]! / total;
    for (let c = 0; c < d; c++) out[c]! += w * x[i * d + c]!;
  }
};

/**
 * Builds a recommender from a tower's config and weights. `popularity` (interaction counts per
 * item) enables the popularity fallback. Fails when a weight is missing or has the wrong size.
 * @example
 * ```ts
 * const recommender = towerRecommender(tower.config, tower.namedWeights(), popularity);
 * const top = recommender.recommend({ items: Int32Array.of(10, 42, 7) }, 10);
 * ```
 * @category Serving
 */
export const towerRecommender = (
  config: HierarchicalTowerConfig,
  weights: NamedWeights,
  popularity?: Float32Array,
): E.Either<KdrecError, Recommender> => {
  const { items, dim: d } = config;
  const attention = config.attention ?? d;
  const byName = new Map(weights.map((w) => [w.name, w.values]));
  const grouping = towerGrouping(config);
  const expected: Array<[string, number]> = [
    ["items", (items + 1) * d],
    ["itemBias", items],
    ["withinGroup.key.kernel", d * attention],
    ["withinGroup.key.bias", attention],
    ["withinGroup.query", attention],
    ["acrossGroups.key.kernel", d * attention],
    ["acrossGroups.key.bias", attention],
    ["acrossGroups.query", attention],
    ["user.kernel", d * d],
    ["user.bias", d],
  ];
  const { groups, perGroup } = grouping;
  if (config.positions === true)
    expected.push(["positions.withinGroup", perGroup * d], ["positions.acrossGroups", groups * d]);
  for (const [name, size] of expected) {
    const w = byName.get(name);
    if (w === undefined) return E.left(kdrecError("INVALID_DATA", "missing from the weights", `tower weight ${name}`));
    if (w.length !== size)
      return E.left(kdrecError("INVALID_DATA", `expected ${size} values, got ${w.length}`, `tower weight ${name}`));
  }
  if (popularity !== undefined && popularity.length !== items)
    return E.left(kdrecError("INVALID_ARGUMENT", `expected ${items} counts, got ${popularity.length}`, "popularity"));
  const w = (name: string) => byName.get(name)!;
  const table = w("items");
  const bias = w("itemBias");
  const pooling = (name: string): PoolingWeights => ({
    key: w(`${name}.key.kernel`),
    keyBias: w(`${name}.key.bias`),
    query: w(`${name}.query`),
  });
  const within = pooling("withinGroup");
  const across = pooling("acrossGroups");
  // Recency embeddings (zero when the tower has none), added to each slot and group before pooling.
  const slotPositions = config.positions === true ? w("positions.withinGroup") : new Float32Array(perGroup * d);
  const groupPositions = config.positions === true ? w("positions.acrossGroups") : new Float32Array(groups * d);
  const userKernel = w("user.kernel");
  const userBias = w("user.bias");

  const userVector = (history: History): Float32Array => {
    const ids = new Int32Array(groups * perGroup).fill(items);
    const valid = new Float32Array(groups * perGroup);
    fillGroups(history.items, history.times, 0, history.items.length, grouping, 0, ids, valid);
    const groupVectors = new Float32Array(groups * d);
    const groupValid = new Float32Array(groups);
    const x = new Float32Array(perGroup * d);
    const pooled = new Float32Array(d);
    for (let g = 0; g < groups; g++) {
      for (let s = 0; s < perGroup; s++) {
        const id = ids[g * perGroup + s]!;
        for (let c = 0; c < d; c++) x[s * d + c] = table[id * d + c]! + slotPositions[s * d + c]!;
      }
      const groupMask = valid.subarray(g * perGroup, (g + 1) * perGroup);
      groupValid[g] = groupMask.some((v) => v > 0) ? 1 : 0;
      pool(x, perGroup, d, groupMask, within, pooled);
      for (let c = 0; c < d; c++) groupVectors[g * d + c] = pooled[c]! + groupPositions[g * d + c]!;
    }
    pool(groupVectors, groups, d, groupValid, across, pooled);
    const user = new Float32Array(d);
    for (let j = 0; j < d; j++) {
      let v = userBias[j]!;
      for (let c = 0; c < d; c++) v += pooled[c]! * userKernel[c * d + j]!;
      user[j] = v;
    }
    return user;
  };

  /** The k best of `score(i)` over items not excluded (a small sorted buffer: k ≪ items). */
  const topK = (score: (i: number) => number, k: number, excluded: Set<number>) => {
    const bestItems = new Int32Array(k).fill(-1);
    const bestScores = new Float32Array(k).fill(Number.NEGATIVE_INFINITY);
    for (let i = 0; i < items; i++) {
      if (excluded.has(i)) continue;
      const s = score(i);
      if (!(s > bestScores[k - 1]!)) continue;
      let at = k - 1;
      while (at > 0 && s > bestScores[at - 1]!) {
        bestScores[at] = bestScores[at - 1]!;
        bestItems[at] = bestItems[at - 1]!;
        at--;
      }
      bestScores[at] = s;
      bestItems[at] = i;
    }
    const found = bestItems.indexOf(-1);
    const n = found < 0 ? k : found;
    return { items: bestItems.slice(0, n), scores: bestScores.slice(0, n) };
  };

  return E.right({
    items,
    userVector,
    recommend: (history, k, options = {}) => {
      if (!(Number.isInteger(k) && k > 0))
        return E.left(kdrecError("INVALID_ARGUMENT", `k must be a positive integer, got ${k}`, "recommend"));
      const bad = history.items.find((i) => !(Number.isInteger(i) && i >= 0 && i < items));
      if (bad !== undefined)
        return E.left(
          kdrecError("INVALID_ARGUMENT", `item ${bad} is not in the catalogue (0..${items - 1})`, "history.items"),
        );
      const excluded = new Set<number>(options.exclude ?? []);
      if (options.excludeHistory !== false) for (const i of history.items) excluded.add(i);
      if (history.items.length === 0) {
        if (options.fallback !== "popularity")
          return E.left(
            kdrecError(
              "INVALID_ARGUMENT",
              'the history is empty: the tower has nothing to read (ask for fallback "popularity" to get the most popular items)',
              "history.items",
            ),
          );
        if (popularity === undefined)
          return E.left(kdrecError("INVALID_ARGUMENT", "the popularity fallback needs item counts", "popularity"));
        return E.right({ ...topK((i) => popularity[i]!, k, excluded), source: "popularity" });
      }
      const user = userVector(history);
      const score = (i: number) => {
        let s = bias[i]!;
        for (let c = 0; c < d; c++) s += user[c]! * table[i * d + c]!;
        return s;
      };
      return E.right({ ...topK(score, k, excluded), source: "tower" });
    },
  });
};

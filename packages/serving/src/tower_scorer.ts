/**
 * A trained hierarchical tower as an item scorer for live traffic. Per request the work is tiny —
 * a few hundred multiply-adds for the user vector and one dot product per item — so it runs as
 * plain loops over Float32Arrays: no tensor op is dispatched, which at this size would cost more
 * than the arithmetic.
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import { fillGroups, sessionGrouping } from "@kdrec/data";
import * as E from "fp-ts/lib/Either.js";
import { withFeatureRows } from "./feature_rows.js";
import type { History, ItemScorer } from "./item_scorer.js";

/**
 * Weights by name, as a model's `namedWeights()` returns them and as a bundle's `weights.bin`
 * holds them.
 * @category Scoring
 */
export type NamedWeights = ReadonlyArray<{
  readonly name: string;
  readonly shape: ReadonlyArray<number>;
  readonly values: Float32Array;
}>;

/**
 * What the tower's arithmetic reads of its config (a `HierarchicalTowerConfig`).
 * @category Scoring
 */
export interface TowerShape {
  readonly items: number;
  readonly dim: number;
  readonly attention?: number;
  readonly positions?: boolean;
  readonly groups?: number;
  readonly perGroup?: number;
  readonly sessionGap?: number;
}

const tanh = Math.tanh;

/** One attention pooling's weights: key kernel `[d, a]`, key bias `[a]`, query `[a]`. */
interface PoolingWeights {
  readonly key: Float32Array;
  readonly keyBias: Float32Array;
  readonly query: Float32Array;
}

/**
 * Attention pooling into `out` over the `n` rows of width `d` of `x` where `valid`; the attention
 * weights go to `weights` (zero where not valid).
 */
const pool = (
  x: Float32Array,
  n: number,
  d: number,
  valid: ArrayLike<number>,
  { key, keyBias, query }: PoolingWeights,
  out: Float32Array,
  weights: Float64Array,
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
  weights.fill(0);
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
    weights[i] = w;
    for (let c = 0; c < d; c++) out[c]! += w * x[i * d + c]!;
  }
};

/**
 * The tower's item scorer, from its config and weights: `scoreHistory` (the user vector of a
 * history against every item), `scoreUser` when `histories` gives the known users' histories (plus
 * their features' rows, for a tower that reads user features), and `explain` (the attention over a
 * history). Fails when a weight is missing or has the wrong size.
 * @example
 * ```ts
 * const scorer = towerScorer(tower.config, tower.namedWeights());
 * if (E.isRight(scorer)) scorer.right.scoreHistory!({ items: Int32Array.of(10, 42, 7) });
 * ```
 * @category Scoring
 */
export const towerScorer = (
  config: TowerShape,
  weights: NamedWeights,
  histories?: (user: number) => History,
): E.Either<KdrecError, ItemScorer & { readonly userVector: (history: History) => Float32Array }> => {
  const { items, dim: d } = config;
  const attention = config.attention ?? d;
  const byName = new Map(weights.map((w) => [w.name, w.values]));
  const grouping = sessionGrouping(config);
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
  const w = (name: string) => byName.get(name)!;
  // A tower that reads categories: each item's row plus its categories' mean row.
  const table = withFeatureRows(
    w("items"),
    byName.get("categories"),
    byName.get("item_categories"),
    items + 1,
    d,
    "tower weights categories, item_categories",
  );
  if (E.isLeft(table)) return table;
  const itemTable = table.right;
  // A tower that reads user features: a known user's vector gets the mean of their features' rows
  // (a visitor, known by history alone, has none).
  const featureRows = byName.get("userFeatures");
  const featureMeans = byName.get("user_features");
  const featureCount = featureRows === undefined ? 0 : featureRows.length / d;
  if (
    (featureRows === undefined) !== (featureMeans === undefined) ||
    !Number.isInteger(featureCount) ||
    (featureMeans !== undefined && featureMeans.length % Math.max(featureCount, 1) !== 0)
  )
    return E.left(
      kdrecError(
        "INVALID_DATA",
        `feature rows [F, ${d}] and feature means [users, F] must come together`,
        "tower weights userFeatures, user_features",
      ),
    );
  const withUserFeatures = (user: number, vector: Float32Array): Float32Array => {
    if (featureRows === undefined || featureMeans === undefined || (user + 1) * featureCount > featureMeans.length)
      return vector;
    for (let f = 0; f < featureCount; f++) {
      const share = featureMeans[user * featureCount + f]!;
      if (share !== 0) for (let c = 0; c < d; c++) vector[c]! += share * featureRows[f * d + c]!;
    }
    return vector;
  };
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

  /** The item in a slot (`slotOf`: which history position fills it, -1 for padding). */
  const slotItem = (history: History, slotOf: Int32Array, at: number): number =>
    slotOf[at]! < 0 ? items : history.items[slotOf[at]!]!;

  /**
   * The user vector of a history, each history position's attention weight, and which history
   * position fills each slot (the grouping is run once, on positions; the items follow from them).
   */
  const read = (history: History): { user: Float32Array; attention: Float32Array; slotOf: Int32Array } => {
    const n = history.items.length;
    const slotOf = new Int32Array(groups * perGroup).fill(-1);
    const valid = new Float32Array(groups * perGroup);
    const positions = Int32Array.from({ length: n }, (_, j) => j);
    fillGroups(positions, history.times, 0, n, grouping, 0, slotOf, valid);
    const groupVectors = new Float32Array(groups * d);
    const groupValid = new Float32Array(groups);
    const x = new Float32Array(perGroup * d);
    const pooled = new Float32Array(d);
    const withinWeights = new Float64Array(groups * perGroup);
    const acrossWeights = new Float64Array(groups);
    for (let g = 0; g < groups; g++) {
      for (let s = 0; s < perGroup; s++) {
        const id = slotItem(history, slotOf, g * perGroup + s);
        for (let c = 0; c < d; c++) x[s * d + c] = itemTable[id * d + c]! + slotPositions[s * d + c]!;
      }
      const groupMask = valid.subarray(g * perGroup, (g + 1) * perGroup);
      groupValid[g] = groupMask.some((v) => v > 0) ? 1 : 0;
      pool(x, perGroup, d, groupMask, within, pooled, withinWeights.subarray(g * perGroup, (g + 1) * perGroup));
      for (let c = 0; c < d; c++) groupVectors[g * d + c] = pooled[c]! + groupPositions[g * d + c]!;
    }
    pool(groupVectors, groups, d, groupValid, across, pooled, acrossWeights);
    const user = new Float32Array(d);
    for (let j = 0; j < d; j++) {
      let v = userBias[j]!;
      for (let c = 0; c < d; c++) v += pooled[c]! * userKernel[c * d + j]!;
      user[j] = v;
    }
    const attention = new Float32Array(n);
    for (let at = 0; at < groups * perGroup; at++)
      if (slotOf[at]! >= 0 && valid[at]! > 0)
        attention[slotOf[at]!] = acrossWeights[Math.floor(at / perGroup)]! * withinWeights[at]!;
    return { user, attention, slotOf };
  };

  /** For each of `asked`, the history position whose attention-weighted vector raised its score most. */
  const reasonsFor = (history: History, asked: Int32Array): { attention: Float32Array; reasons: Int32Array } => {
    const { attention, slotOf } = read(history);
    const projected = new Float32Array(d);
    const reasons = new Int32Array(asked.length).fill(-1);
    const best = new Float64Array(asked.length).fill(Number.NEGATIVE_INFINITY);
    for (let at = 0; at < slotOf.length; at++) {
      const j = slotOf[at]!;
      if (j < 0 || attention[j]! === 0) continue;
      // The slot's share of the user vector: attention × (its vector through the user projection).
      const id = slotItem(history, slotOf, at);
      const s = at % perGroup;
      for (let k = 0; k < d; k++) {
        let v = 0;
        for (let c = 0; c < d; c++) v += (itemTable[id * d + c]! + slotPositions[s * d + c]!) * userKernel[c * d + k]!;
        projected[k] = v;
      }
      asked.forEach((item, r) => {
        let pull = 0;
        for (let k = 0; k < d; k++) pull += projected[k]! * itemTable[item * d + k]!;
        const share = attention[j]! * pull;
        if (share > best[r]!) {
          best[r] = share;
          reasons[r] = j;
        }
      });
    }
    return { attention, reasons };
  };

  const scoreVector = (user: Float32Array): Float32Array => {
    const scores = new Float32Array(items);
    for (let i = 0; i < items; i++) {
      let s = bias[i]!;
      for (let c = 0; c < d; c++) s += user[c]! * itemTable[i * d + c]!;
      scores[i] = s;
    }
    return scores;
  };
  const scoreHistory = (history: History): Float32Array => scoreVector(read(history).user);
  // A known user's vector depends on their saved history alone: read it once, on first request.
  const userVectors = new Map<number, Float32Array>();
  const knownUser = (user: number): Float32Array => {
    let vector = userVectors.get(user);
    if (vector === undefined) {
      vector = withUserFeatures(user, read(histories!(user)).user);
      userVectors.set(user, vector);
    }
    return vector;
  };

  return E.right({
    items,
    userVector: (history) => read(history).user,
    scoreHistory,
    ...(histories === undefined ? {} : { scoreUser: (user: number) => scoreVector(knownUser(user)) }),
    explain: (history, asked = new Int32Array(0)) => {
      const { attention, reasons } = reasonsFor(history, asked);
      return { weights: attention, reasons };
    },
  });
};

/**
 * Matrix factorization (gradient-trained or ALS) as an item scorer: one dot product per item with
 * the user's row, plus the item's bias where the model has one. Plain loops over the tables: at
 * MovieLens shapes a user's scores take microseconds, far less than dispatching a tensor op.
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import { withFeatureRows } from "./feature_rows.js";
import type { ItemScorer } from "./item_scorer.js";
import type { NamedWeights } from "./tower_scorer.js";

/**
 * What MF's arithmetic reads of its config (a `MatrixFactorizationConfig`).
 * @category Scoring
 */
export interface MfShape {
  readonly users: number;
  readonly items: number;
  readonly dim: number;
}

/**
 * MF's item scorer from its config and its weights (`user_factors`, `item_factors` and, when the
 * model has item biases, `item_biases`: what `kdrec run` saves). Fails when a table is missing or
 * mis-sized.
 * @example
 * ```ts
 * const weights = [
 *   { name: "user_factors", shape: [2, 2], values: Float32Array.of(1, 0, 0, 1) },
 *   { name: "item_factors", shape: [3, 2], values: Float32Array.of(1, 0, 0, 1, 0.5, 0.5) },
 * ];
 * const scorer = mfScorer({ users: 2, items: 3, dim: 2 }, weights);
 * if (E.isRight(scorer)) scorer.right.scoreUser!(0); // Float32Array [1, 0, 0.5]
 * ```
 * @category Scoring
 */
export const mfScorer = (config: MfShape, weights: NamedWeights): E.Either<KdrecError, ItemScorer> => {
  const { users, items, dim } = config;
  const byName = new Map(weights.map((w) => [w.name, w.values]));
  const table = (name: string, size: number, optional = false): E.Either<KdrecError, Float32Array | undefined> => {
    const values = byName.get(name);
    if (values === undefined)
      return optional
        ? E.right(undefined)
        : E.left(kdrecError("INVALID_DATA", "missing from the weights", `mf weight ${name}`));
    return values.length === size
      ? E.right(values)
      : E.left(kdrecError("INVALID_DATA", `expected ${size} values, got ${values.length}`, `mf weight ${name}`));
  };
  const userTable = table("user_factors", users * dim);
  if (E.isLeft(userTable)) return userTable;
  const itemTable = table("item_factors", items * dim);
  if (E.isLeft(itemTable)) return itemTable;
  const biases = table("item_biases", items, true);
  if (E.isLeft(biases)) return biases;
  const [userFactors, itemFactors, itemBiases] = [userTable.right!, itemTable.right!, biases.right];
  return E.right({
    items,
    scoreUser: (user) => {
      const scores = new Float32Array(items);
      const row = user * dim;
      for (let i = 0; i < items; i++) {
        let s = itemBiases === undefined ? 0 : itemBiases[i]!;
        for (let c = 0; c < dim; c++) s += userFactors[row + c]! * itemFactors[i * dim + c]!;
        scores[i] = s;
      }
      return scores;
    },
  });
};

/**
 * MF with side information (`mf-features`) as an item scorer: each side's vectors composed once,
 * at load, as the model composes them — own row plus the feature means (`user_features`
 * `[users, F]`) times the features' rows (`user_feature_factors` `[F, dim]`), likewise for items
 * (cold items' own rows are saved as zero) — then scored as plain MF. A side without features
 * is its own rows.
 * @example
 * ```ts
 * const scorer = featureMfScorer({ users: 1, items: 2, dim: 1 }, [
 *   { name: "user_factors", shape: [1, 1], values: Float32Array.of(1) },
 *   { name: "item_factors", shape: [2, 1], values: Float32Array.of(0.5, 0) },
 *   { name: "item_feature_factors", shape: [1, 1], values: Float32Array.of(2) },
 *   { name: "item_features", shape: [2, 1], values: Float32Array.of(0, 1) },
 * ]);
 * if (E.isRight(scorer)) scorer.right.scoreUser!(0); // Float32Array [0.5, 2]: item 1 from its feature
 * ```
 * @category Scoring
 */
export const featureMfScorer = (config: MfShape, weights: NamedWeights): E.Either<KdrecError, ItemScorer> => {
  const { dim } = config;
  const byName = new Map(weights.map((w) => [w.name, w]));
  const compose = (side: "user" | "item", rows: number): E.Either<KdrecError, Float32Array> => {
    const own = byName.get(`${side}_factors`);
    if (own === undefined || own.values.length !== rows * dim)
      return E.left(
        kdrecError("INVALID_DATA", `missing or not ${rows} x ${dim}`, `mf-features weight ${side}_factors`),
      );
    return withFeatureRows(
      own.values,
      byName.get(`${side}_feature_factors`)?.values,
      byName.get(`${side}_features`)?.values,
      rows,
      dim,
      `mf-features weights ${side}_feature_factors, ${side}_features`,
    );
  };
  const users = compose("user", config.users);
  if (E.isLeft(users)) return users;
  const items = compose("item", config.items);
  if (E.isLeft(items)) return items;
  return mfScorer(config, [
    { name: "user_factors", shape: [config.users, dim], values: users.right },
    { name: "item_factors", shape: [config.items, dim], values: items.right },
  ]);
};

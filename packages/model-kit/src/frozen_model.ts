/**
 * Any trained model, frozen as a teacher: its scores of every (user, item) pair are computed once
 * (when they fit in memory), so a distillation's per-batch list scores are lookups.
 * @module
 */
import { readTidy } from "@kdrec/core";
import { indexBatches } from "@kdrec/data";
import * as tf from "@tensorflow/tfjs-core";
import { type EntityRepresentations, gatherRows } from "./representations.js";
import type { ScoringModel } from "./scorer.js";
import type { FactorTables, Teacher } from "./teacher.js";

/** Above this many (user, item) pairs (200 MB of scores) lists are scored on the fly instead. */
const MAX_PRECOMPUTED_SCORES = 50_000_000;

/**
 * Freezes `model` (trained further or disposed later, the teacher does not change). With up to
 * 50M (user, item) pairs the score table is computed now, 512 users at a time; beyond that,
 * lists are scored on the fly from the scorer. Dispose the teacher when the distillation is over.
 * @category Contracts
 */
export const frozenModel = (
  model: ScoringModel,
  options: {
    readonly name: string;
    readonly architecture: string;
    readonly users: number;
    readonly items: number;
    /** Per-user features to freeze too (computed now for every user, 512 at a time). */
    readonly features?: FeatureSource;
    /**
     * Makes (from a frozen copy of the model, taken when called) a scorer of item lists, for when
     * the score table is too big to precompute: without it, each batch scores its users against
     * every item and gathers (at 70k users × 10k items, about a thousand times the work of the
     * lists' dot products). Called only then.
     */
    readonly listScorer?: () => (users: Int32Array, items: Int32Array, width: number) => tf.Tensor2D;
    /**
     * The model's per-entity representation tables, row-major (`[users, width]`, `[items, width]`),
     * to expose for representation distillation; copied now.
     */
    readonly representations?: { readonly width: number; readonly users: Float32Array; readonly items: Float32Array };
    /** An MF's tables, copied for whole-epoch kernels when the score table is too big to precompute. */
    readonly factorTables?: FactorTables;
  },
): Teacher => {
  const { users, items } = options;
  const scorer = model.allItemScorer();
  const featureTables = options.features === undefined ? undefined : freezeFeatures(options.features, users);
  let table: Float32Array | undefined;
  if (users * items <= MAX_PRECOMPUTED_SCORES) {
    table = new Float32Array(users * items);
    for (const batch of indexBatches(users, 512))
      table.set(
        readTidy(() => scorer.score(batch)),
        batch[0]! * items,
      );
  }
  const listScorer = table === undefined ? options.listScorer?.() : undefined;
  const factorTables =
    table === undefined && options.factorTables !== undefined ? copyTables(options.factorTables) : undefined;
  const representationTables =
    options.representations === undefined
      ? undefined
      : {
          width: options.representations.width,
          users: options.representations.users.slice(),
          items: options.representations.items.slice(),
        };
  const onTheFly = (userIds: Int32Array, itemIds: Int32Array, width: number): tf.Tensor2D =>
    tf.tidy(() => {
      // One [B, items] product, then a flat gather (row·items + item): faster here than a gather
      // with batchDims.
      const flat = new Int32Array(itemIds.length);
      for (let k = 0; k < itemIds.length; k++) flat[k] = Math.floor(k / width) * items + itemIds[k]!;
      const all = tf.reshape(scorer.score(userIds), [-1]);
      return tf.reshape(tf.gather(all, tf.tensor1d(flat, "int32")), [userIds.length, width]) as tf.Tensor2D;
    });
  return {
    name: options.name,
    architecture: options.architecture,
    numItems: items,
    parameterCount: model.parameterCount,
    scoreLists: (userIds, itemIds, width) => {
      if (table === undefined) return (listScorer ?? onTheFly)(userIds, itemIds, width);
      const lists = new Float32Array(itemIds.length);
      for (let b = 0; b < userIds.length; b++) {
        const row = userIds[b]! * items;
        for (let j = 0; j < width; j++) lists[b * width + j] = table[row + itemIds[b * width + j]!]!;
      }
      return tf.tensor2d(lists, [userIds.length, width]);
    },
    ...(table === undefined ? {} : { scoreTable: table }),
    ...(factorTables === undefined ? {} : { factorTables }),
    scoreAll: scorer.score,
    dispose: () => {
      scorer.dispose();
      if (featureTables !== undefined) tf.dispose(featureTables);
    },
    ...(representationTables === undefined
      ? {}
      : {
          representationWidth: representationTables.width,
          representations: (userIds: Int32Array, itemIds: Int32Array) =>
            gatherRepresentations(representationTables, userIds, itemIds),
        }),
    ...(featureTables === undefined
      ? {}
      : {
          featureWidths: options.features!.widths,
          features: (userIds: Int32Array) =>
            tf.tidy(() => {
              const ids = tf.tensor1d(userIds, "int32");
              return featureTables.map((table) => tf.gather(table, ids) as tf.Tensor2D);
            }),
        }),
  };
};

const copyTables = (tables: FactorTables): FactorTables => ({
  dim: tables.dim,
  userFactors: tables.userFactors.slice(),
  itemFactors: tables.itemFactors.slice(),
  ...(tables.itemBiases === undefined ? {} : { itemBiases: tables.itemBiases.slice() }),
});

/**
 * A model's per-user features: their widths per level, and how to compute them for users.
 * @category Contracts
 */
export interface FeatureSource {
  readonly widths: ReadonlyArray<number>;
  readonly of: (users: Int32Array) => tf.Tensor2D[];
}

const freezeFeatures = (source: FeatureSource, users: number): tf.Tensor2D[] => {
  const parts: tf.Tensor2D[][] = source.widths.map(() => []);
  for (const batch of indexBatches(users, 512))
    source.of(batch).forEach((level, k) => {
      parts[k]!.push(level);
    });
  return parts.map((levels) => {
    const table = tf.concat(levels) as tf.Tensor2D;
    tf.dispose(levels);
    return table;
  });
};

/** The rows of `users` and `items` from representation tables. */
const gatherRepresentations = (
  tables: { readonly width: number; readonly users: Float32Array; readonly items: Float32Array },
  users: Int32Array,
  items: Int32Array,
): EntityRepresentations => ({
  users,
  items,
  width: tables.width,
  userRows: gatherRows(tables.users, users, tables.width),
  itemRows: gatherRows(tables.items, items, tables.width),
});

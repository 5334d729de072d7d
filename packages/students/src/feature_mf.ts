/**
 * Matrix factorization with side information (after SVDFeature and LightFM): a user's vector is
 * its own row plus the mean of its features' rows (the dataset's user columns, e.g. age decade, gender, occupation), an item's its
 * own row plus the mean of its categories' rows (genres). An item never seen in training has no
 * row of its own worth anything, so it is scored from its categories alone: what makes
 * recommending new items possible (the cold-items protocol measures it). Trained by dense Adam on
 * the engine; shipped as its tables and feature maps (`@kdrec/serving` composes them).
 * @module
 */
import { integerInRange, numberInRange, positiveNumber, seededRandom } from "@kdrec/core";
import { entryUsers, type FeatureLists, featureMeans, type Interactions, type SideFeatures } from "@kdrec/data";
import { type ItemLists, VariableModel, type VariableModelState } from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";
import * as t from "io-ts";

/**
 * The model's shape and training settings (an io-ts codec).
 * @category Students
 */
export const FeatureMatrixFactorizationConfig = t.intersection(
  [
    t.type({ users: integerInRange(1), items: integerInRange(1), dim: integerInRange(1, 4096) }),
    t.partial({
      /** Standard deviation of the normal initialisation; default 0.1. */
      initStd: positiveNumber,
      /** L2 penalty per occurrence of a user's or item's vector in a batch; default 0. */
      l2: numberInRange(0, 100),
      /** Adam's learning rate; default 1e-3. */
      learningRate: positiveNumber,
      seed: t.number,
    }),
  ],
  "FeatureMatrixFactorizationConfig",
);
/**
 * The decoded form of {@link FeatureMatrixFactorizationConfig}.
 * @category Students
 */
export type FeatureMatrixFactorizationConfig = t.TypeOf<typeof FeatureMatrixFactorizationConfig>;

/**
 * The trained tables: users', items', and each side's features' rows (absent without features).
 * @category Students
 */
export interface FeatureTables {
  readonly users: tf.Variable;
  readonly items: tf.Variable;
  readonly userFeatures?: tf.Variable;
  readonly itemFeatures?: tf.Variable;
}

const read = (x: tf.Tensor) => (x.dataSync() as Float32Array).slice();

/**
 * MF with user and item features.
 * @example
 * ```ts
 * const model = FeatureMatrixFactorization.create({ users: 943, items: 1682, dim: 8, seed: 1 }, side, split.train);
 * model.trainStep({ users, items: pairs, width: 2 }, (s) => rowBprLoss(s));
 * ```
 * @category Students
 */
export class FeatureMatrixFactorization extends VariableModel<FeatureTables> {
  private constructor(
    readonly config: FeatureMatrixFactorizationConfig,
    tables: FeatureTables,
    /** `[users, userFeatures]` and `[items, itemFeatures]` feature means (constants), when there are features. */
    private readonly userMeans: tf.Tensor2D | undefined,
    private readonly itemMeans: tf.Tensor2D | undefined,
    /** `[items, 1]`: 1 for an item with training interactions, 0 for one never seen (scored by its features). */
    private readonly warm: tf.Tensor2D,
    readonly features: SideFeatures,
  ) {
    super(tables, config.learningRate ?? 1e-3);
  }

  /**
   * A model over `features` (leave a side out to train without it) whose items absent from
   * `train` are cold: their own rows never count.
   */
  static create(
    config: FeatureMatrixFactorizationConfig,
    features: SideFeatures,
    train: Interactions,
  ): FeatureMatrixFactorization {
    const { users, items, dim } = config;
    const rng = seededRandom(config.seed ?? 0);
    const std = config.initStd ?? 0.1;
    const normal = (name: string, rows: number) => {
      const r = rng.split(name);
      const values = Float32Array.from({ length: rows * dim }, () => r.normal() * std);
      return tf.tidy(() => tf.variable(tf.tensor2d(values, [rows, dim]), true));
    };
    const tables: FeatureTables = {
      users: normal("users", users),
      items: normal("items", items),
      ...(features.users === undefined ? {} : { userFeatures: normal("user-features", features.users.names.length) }),
      ...(features.items === undefined ? {} : { itemFeatures: normal("item-features", features.items.names.length) }),
    };
    const means = (lists: FeatureLists | undefined, entities: number) =>
      lists === undefined ? undefined : tf.tensor2d(featureMeans(lists, entities), [entities, lists.names.length]);
    const warm = new Float32Array(items);
    for (const i of train.items) warm[i] = 1;
    return new FeatureMatrixFactorization(
      config,
      tables,
      means(features.users, users),
      means(features.items, items),
      tf.tensor2d(warm, [items, 1]),
      features,
    );
  }

  /** Users', items' and features' rows. */
  get parameterCount(): number {
    return this.variables.size;
  }

  /** Vectors of `ids` on one side: own rows (items: cold ones zeroed) plus the features' mean. */
  private vectors(side: "users" | "items", ids: tf.Tensor1D): tf.Tensor2D {
    const own = tf.gather(this.params[side], ids) as tf.Tensor2D;
    const kept = side === "items" ? (tf.mul(own, tf.gather(this.warm, ids)) as tf.Tensor2D) : own;
    const means = side === "users" ? this.userMeans : this.itemMeans;
    const table = side === "users" ? this.params.userFeatures : this.params.itemFeatures;
    return means === undefined || table === undefined
      ? kept
      : (tf.add(kept, tf.matMul(tf.gather(means, ids) as tf.Tensor2D, table)) as tf.Tensor2D);
  }

  /** One Adam step on `loss` of the batch's list scores (plus the L2 penalty); returns the loss. */
  trainStep(batch: ItemLists, loss: (scores: tf.Tensor2D) => tf.Scalar): number {
    let read: tf.Scalar | undefined;
    const l2 = this.config.l2 ?? 0;
    this.optimizer.minimize(() => {
      const users = this.vectors("users", tf.tensor1d(entryUsers(batch.users, batch.width), "int32"));
      const items = this.vectors("items", tf.tensor1d(batch.items, "int32"));
      const scores = tf.reshape(tf.sum(tf.mul(users, items), 1), [batch.users.length, batch.width]) as tf.Tensor2D;
      const value = loss(scores);
      read = tf.keep(tf.clone(value));
      // Per occurrence, as MF's L2 (user vectors repeat per entry here, so they weigh 1/width).
      const penalty = tf.mul(
        tf.add(tf.div(tf.sum(tf.square(users)), batch.width), tf.sum(tf.square(items))),
        l2 / batch.users.length,
      );
      return tf.add(value, penalty) as tf.Scalar;
    });
    this.step += 1;
    const value = read!.dataSync()[0]!;
    read!.dispose();
    return value;
  }

  /** Every user's and item's vector as the model scores them, `[users, dim]` and `[items, dim]`. */
  effectiveTables(): { readonly users: Float32Array; readonly items: Float32Array } {
    const [users, items] = tf.tidy(() => [
      this.vectors("users", tf.range(0, this.config.users, 1, "int32") as tf.Tensor1D),
      this.vectors("items", tf.range(0, this.config.items, 1, "int32") as tf.Tensor1D),
    ]);
    const out = { users: users!.dataSync() as Float32Array, items: items!.dataSync() as Float32Array };
    tf.dispose([users!, items!]);
    return out;
  }

  /** A scorer of users against every item from a snapshot of the vectors; call `dispose()` when done. */
  allItemScorer(): { readonly score: (users: Int32Array) => tf.Tensor2D; readonly dispose: () => void } {
    const { users, items } = this.effectiveTables();
    const userTable = tf.tensor2d(users, [this.config.users, this.config.dim]);
    const itemTable = tf.tensor2d(items, [this.config.items, this.config.dim]);
    return {
      score: (ids) => tf.tidy(() => tf.matMul(tf.gather(userTable, tf.tensor1d(ids, "int32")), itemTable, false, true)),
      dispose: () => tf.dispose([userTable, itemTable]),
    };
  }

  /**
   * The trained tables by name, as saved and served: `user_factors`, `item_factors` (cold items'
   * rows zero) and, per side with features, the features' rows (`user_feature_factors`,
   * `item_feature_factors`), in the order {@link FeatureMatrixFactorization.restore} takes them.
   */
  override namedWeights(): Array<{ name: string; shape: number[]; values: Float32Array }> {
    const { users, items, dim } = this.config;
    const warmItems = tf.tidy(() => tf.mul(this.params.items, this.warm));
    const { userFeatures, itemFeatures } = this.params;
    const out = [
      { name: "user_factors", shape: [users, dim], values: read(this.params.users) },
      { name: "item_factors", shape: [items, dim], values: read(warmItems) },
      ...(userFeatures === undefined
        ? []
        : [{ name: "user_feature_factors", shape: [...userFeatures.shape], values: read(userFeatures) }]),
      ...(itemFeatures === undefined
        ? []
        : [{ name: "item_feature_factors", shape: [...itemFeatures.shape], values: read(itemFeatures) }]),
    ];
    warmItems.dispose();
    return out;
  }

  /**
   * The feature means the vectors are composed with (`user_features` `[users, F]`,
   * `item_features` `[items, F]`): saved beside the weights, so serving composes the same vectors.
   */
  namedConstants(): Array<{ name: string; shape: number[]; values: Float32Array }> {
    const maps = (name: "user" | "item", means: tf.Tensor2D | undefined) =>
      means === undefined ? [] : [{ name: `${name}_features`, shape: [...means.shape], values: read(means) }];
    return [...maps("user", this.userMeans), ...maps("item", this.itemMeans)];
  }

  /** Frees the tables, the optimizer's moments and the constant feature maps. */
  override dispose(): void {
    super.dispose();
    tf.dispose([
      this.warm,
      ...(this.userMeans === undefined ? [] : [this.userMeans]),
      ...(this.itemMeans === undefined ? [] : [this.itemMeans]),
    ]);
  }
}

/**
 * Weights plus the optimizer's state.
 * @category Students
 */
export type FeatureMatrixFactorizationState = VariableModelState;

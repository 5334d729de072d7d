/**
 * The hierarchical attention tower: a lightweight student with no per-user parameters. The item
 * tower is a small embedding table; the user tower reads the user's recent history in two levels —
 * attention pooling of the items within each group (session), then attention pooling of the group
 * vectors — and projects the result into the item space. Score = user · item (+ item bias). A new
 * user is served from their history alone.
 * @module
 */
import { integerInRange, numberInRange, positiveNumber, seededRandom } from "@kdrec/core";
import {
  type FeatureLists,
  featureMeans,
  fillGroups,
  type GroupingOptions,
  type Interactions,
  numItems,
  numUsers,
  sequencePositions,
  sessionGrouping,
  type UserTimelines,
  userTimelines,
} from "@kdrec/data";
import {
  type AttentionPoolingParams,
  attentionPooling,
  catalogueDotScores,
  type DenseParams,
  dense,
  initAttentionPooling,
  initDense,
  listDotScores,
  normalVariable,
} from "@kdrec/layers";
import { type ItemLists, VariableModel, type VariableModelState } from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";
import * as t from "io-ts";

/**
 * The tower's shape and training settings (an io-ts codec).
 * @category Students
 */
export const HierarchicalTowerConfig = t.intersection(
  [
    t.type({ items: integerInRange(1), dim: integerInRange(1, 4096) }),
    t.partial({
      /** Groups (sessions) read per history; default 8. */
      groups: integerInRange(1, 256),
      /** Items read per group; default 8. */
      perGroup: integerInRange(1, 256),
      /** Seconds of silence that start a new session; default 3,600. */
      sessionGap: numberInRange(0, 1e12),
      /**
       * Learned recency embeddings, one per slot within a group and one per group (slots and groups
       * are right-aligned, so a position is "k-th most recent"), added before each pooling; default
       * false.
       */
      positions: t.boolean,
      /** Width of the attention key space; default `dim`. */
      attention: integerInRange(1, 4096),
      /** Adam's learning rate; default 1e-3. */
      learningRate: positiveNumber,
      /** L2 penalty on the item embeddings a batch reads, per row; default 0. */
      l2: numberInRange(0, 100),
      /**
       * Feature alignment: the teacher's feature widths for level 1 and level 2; the tower then
       * learns a projection of each level into them (trained with the tower, saved with it).
       */
      alignTo: t.array(integerInRange(1, 65_536)),
      seed: t.number,
    }),
  ],
  "HierarchicalTowerConfig",
);
/**
 * The decoded form of {@link HierarchicalTowerConfig}.
 * @category Students
 */
export type HierarchicalTowerConfig = t.TypeOf<typeof HierarchicalTowerConfig>;

interface TowerParams {
  /** `[items + 1, dim]`: the catalogue, then padding. */
  readonly items: tf.Variable;
  readonly itemBias: tf.Variable;
  readonly withinGroup: AttentionPoolingParams;
  readonly acrossGroups: AttentionPoolingParams;
  /** Recency embeddings `[perGroup, dim]` and `[groups, dim]`, when the config asks for them. */
  readonly positions?: { readonly withinGroup: tf.Variable; readonly acrossGroups: tf.Variable };
  readonly user: DenseParams;
  /** Projections of level 1 and level 2 into the teacher's feature spaces (feature alignment). */
  readonly align: ReadonlyArray<tf.Variable>;
  /** `[categories, dim]`: a row per item category, added (averaged) to its items' rows, when the tower reads categories. */
  readonly categories?: tf.Variable;
  /** `[user features, dim]`: a row per user feature, added (averaged) to the user vector, when the tower reads them. */
  readonly userFeatures?: tf.Variable;
}

/**
 * A level of the tower's features with its learned projection into the teacher's space.
 * @category Students
 */
export interface ProjectedFeature {
  readonly value: tf.Tensor2D;
  readonly projection: tf.Tensor2D;
}

/**
 * The tower's two levels for a batch: group vectors `[B, groups, dim]` pooled to `[B, dim]`
 * (level 1, averaged over valid groups) and the user vector `[B, dim]` (level 2).
 * @category Students
 */
export interface TowerFeatures {
  readonly level1: tf.Tensor2D;
  readonly level2: tf.Tensor2D;
}

/**
 * Weights plus the optimizer's state.
 * @category Students
 */
export type HierarchicalTowerState = VariableModelState;

/**
 * A hierarchical attention tower. It offers the trainer's model interface (`trainStep` on rows
 * with their interaction indices, `allItemScorer`, snapshots).
 * @example
 * ```ts
 * const tower = HierarchicalAttentionTower.create({ items: 1682, dim: 16 }, split.train);
 * ```
 * @category Students
 */
export class HierarchicalAttentionTower extends VariableModel<TowerParams> {
  private readonly histories: UserTimelines;
  private readonly positions: Int32Array;
  private readonly grouping: GroupingOptions;

  private constructor(
    readonly config: HierarchicalTowerConfig,
    params: TowerParams,
    train: Interactions,
    /** `[items + 1, categories]`: each item's categories, averaged (the padding row empty). */
    private readonly categoryMeans: tf.Tensor2D | undefined,
    /** `[users, user features]`: each user's features, averaged. */
    private readonly userFeatureMeans: tf.Tensor2D | undefined,
  ) {
    super(params, config.learningRate ?? 1e-3);
    this.histories = userTimelines(train);
    this.positions = sequencePositions(train);
    this.grouping = sessionGrouping(config);
  }

  /**
   * A tower initialised from the config's seed, reading histories from `train`; with `categories`
   * (the items' categories as feature lists), an item's vector is its row plus the mean of its
   * categories' rows, so items of a category share what is learnt about it; with `userFeatures`
   * (the users' features as feature lists, e.g. age decade, gender, occupation), the user vector from
   * the history gets the mean of the user's features' rows added, so users alike in their features
   * share what is learnt about them (still no row per user).
   */
  static create(
    config: HierarchicalTowerConfig,
    train: Interactions,
    categories?: FeatureLists,
    userFeatures?: FeatureLists,
  ): HierarchicalAttentionTower {
    if (numItems(train) !== config.items)
      throw new RangeError(
        `HierarchicalAttentionTower: config.items ${config.items} but the data has ${numItems(train)}`,
      );
    const rng = seededRandom(config.seed ?? 0);
    const { dim } = config;
    const attention = config.attention ?? dim;
    const grouping = sessionGrouping(config);
    const params: TowerParams = {
      items: normalVariable(rng.split("items"), [config.items + 1, dim], 0.1),
      itemBias: tf.tidy(() => tf.variable(tf.zeros([config.items]), true)),
      withinGroup: initAttentionPooling(rng.split("within"), dim, attention),
      acrossGroups: initAttentionPooling(rng.split("across"), dim, attention),
      ...(config.positions === true
        ? {
            // Zero: training starts from the order-free tower and learns what recency adds.
            positions: tf.tidy(() => ({
              withinGroup: tf.variable(tf.zeros([grouping.perGroup, dim]), true),
              acrossGroups: tf.variable(tf.zeros([grouping.groups, dim]), true),
            })),
          }
        : {}),
      user: initDense(rng.split("user"), dim, dim),
      align: (config.alignTo ?? [])
        .slice(0, 2)
        .map((width, k) => normalVariable(rng.split(`align-${k}`), [dim, width], 1 / Math.sqrt(dim))),
      ...(categories === undefined
        ? {}
        : { categories: normalVariable(rng.split("categories"), [categories.names.length, dim], 0.1) }),
      ...(userFeatures === undefined
        ? {}
        : { userFeatures: normalVariable(rng.split("user-features"), [userFeatures.names.length, dim], 0.1) }),
    };
    const means =
      categories === undefined
        ? undefined
        : tf.tensor2d(featureMeans(categories, config.items + 1), [config.items + 1, categories.names.length]);
    const users = numUsers(train);
    const userMeans =
      userFeatures === undefined
        ? undefined
        : tf.tensor2d(featureMeans(userFeatures, users), [users, userFeatures.names.length]);
    return new HierarchicalAttentionTower(config, params, train, means, userMeans);
  }

  /**
   * The served model's parameters: item embeddings and biases, the two poolings and the user
   * projection (the alignment projections are training aids, not counted).
   */
  get parameterCount(): number {
    const aids = this.params.align.reduce((n, x) => n + x.size, 0);
    return this.variables.size - aids;
  }

  /**
   * The feature means the vectors are composed with — `item_categories` `[items + 1, C]` when the
   * tower reads categories, `user_features` `[users, F]` when it reads user features: saved beside
   * the weights, so serving composes the same vectors.
   */
  namedConstants(): Array<{ name: string; shape: number[]; values: Float32Array }> {
    const named = (name: string, means: tf.Tensor2D | undefined) =>
      means === undefined
        ? []
        : [{ name, shape: [...means.shape], values: (means.dataSync() as Float32Array).slice() }];
    return [...named("item_categories", this.categoryMeans), ...named("user_features", this.userFeatureMeans)];
  }

  /** Frees the variables, the optimizer's moments and the feature means. */
  override dispose(): void {
    super.dispose();
    this.categoryMeans?.dispose();
    this.userFeatureMeans?.dispose();
  }

  /** Widths of the teacher features this tower aligns to (empty without alignment). */
  get alignedWidths(): ReadonlyArray<number> {
    return this.params.align.map((x) => x.shape[1]!);
  }

  /** Grouped histories `[B, groups, perGroup]` of `users`, each cut at `ends[b]` (default: whole). */
  private groups(
    users: Int32Array,
    histories: UserTimelines,
    ends?: Int32Array,
  ): { ids: Int32Array; valid: Float32Array } {
    const { groups, perGroup } = this.grouping;
    const ids = new Int32Array(users.length * groups * perGroup).fill(this.config.items);
    const valid = new Float32Array(ids.length);
    for (let b = 0; b < users.length; b++) {
      const from = histories.offsets[users[b]!]!;
      const to = ends === undefined ? histories.offsets[users[b]! + 1]! : from + ends[b]!;
      fillGroups(histories.items, histories.times, from, to, this.grouping, b, ids, valid);
    }
    return { ids, valid };
  }

  /** Every item's vector (and the padding row): its own row, plus its categories' mean where the tower reads them. */
  private itemTable(params: TowerParams): tf.Tensor2D {
    return params.categories === undefined || this.categoryMeans === undefined
      ? (params.items as tf.Tensor2D)
      : (tf.add(params.items, tf.matMul(this.categoryMeans, params.categories as tf.Tensor2D)) as tf.Tensor2D);
  }

  private encode(
    params: TowerParams,
    table: tf.Tensor2D,
    ids: Int32Array,
    valid: Float32Array,
    users: Int32Array,
  ): TowerFeatures {
    const rows = users.length;
    const { groups, perGroup } = this.grouping;
    const { dim } = this.config;
    const embedded = tf.reshape(tf.gather(table, tf.tensor1d(ids, "int32")), [rows, groups, perGroup, dim]);
    const { positions } = params;
    const x = positions === undefined ? embedded : tf.add(embedded, positions.withinGroup);
    const itemMask = tf.tensor3d(valid, [rows, groups, perGroup]);
    const { pooled: groupVectors } = attentionPooling(x, itemMask, params.withinGroup); // [B, G, d]
    const groupMask = tf.cast(tf.greater(tf.sum(itemMask, 2), 0), "float32"); // [B, G]
    const groupInput = positions === undefined ? groupVectors : tf.add(groupVectors, positions.acrossGroups);
    const { pooled } = attentionPooling(groupInput, groupMask, params.acrossGroups); // [B, d]
    const level1 = tf.div(tf.sum(groupVectors, 1), tf.maximum(tf.sum(groupMask, 1, true), 1)) as tf.Tensor2D;
    const fromHistory = dense(pooled, params.user) as tf.Tensor2D;
    // With user features: plus the mean of the user's features' rows.
    const level2 =
      params.userFeatures === undefined || this.userFeatureMeans === undefined
        ? fromHistory
        : (tf.add(
            fromHistory,
            tf.matMul(
              tf.gather(this.userFeatureMeans, tf.tensor1d(users, "int32")),
              params.userFeatures as tf.Tensor2D,
            ),
          ) as tf.Tensor2D);
    return { level1, level2 };
  }

  /**
   * One Adam step on `loss` of the rows' list scores; each row's user vector is read from the
   * history before the interaction it stands for (`batch.rows`, required).
   */
  trainStep(batch: ItemLists, loss: (scores: tf.Tensor2D) => tf.Scalar): number {
    return this.trainStepWithFeatures(batch, (scores) => loss(scores));
  }

  /**
   * {@link HierarchicalAttentionTower.trainStep} with a loss that also reads the tower's features,
   * level 1 and level 2, each with its learned projection (needs `alignTo` in the config).
   */
  trainStepWithFeatures(
    batch: ItemLists,
    loss: (scores: tf.Tensor2D, features: ReadonlyArray<ProjectedFeature>) => tf.Scalar,
  ): number {
    const { users, items, width, rows } = batch;
    if (rows === undefined)
      throw new RangeError(
        "HierarchicalAttentionTower.trainStep: the batch has no rows (the interactions it stands for)",
      );
    const ends = Int32Array.from(rows, (r) => this.positions[r]!);
    const { ids, valid } = this.groups(users, this.histories, ends);
    const l2 = this.config.l2 ?? 0;
    return this.optimizer.minimize(() => {
      const table = this.itemTable(this.params);
      const features = this.encode(this.params, table, ids, valid, users);
      const scores = listDotScores(features.level2, table, this.params.itemBias, items, width);
      const levels = [features.level1, features.level2];
      const value = loss(
        scores,
        this.params.align.map((projection, k) => ({ value: levels[k]!, projection: projection as tf.Tensor2D })),
      );
      if (l2 === 0) return value;
      const read = tf.gather(this.params.items, tf.tensor1d(items, "int32"));
      return tf.add(value, tf.mul(tf.sum(tf.square(read)), l2 / users.length)) as tf.Scalar;
    });
  }

  /** Both levels' vectors for `users` from their whole history in `history` (default: training). */
  features(users: Int32Array, history?: Interactions): TowerFeatures {
    const { ids, valid } = this.groups(users, history === undefined ? this.histories : userTimelines(history));
    const { level1, level2 } = tf.tidy(() => {
      const out = this.encode(this.params, this.itemTable(this.params), ids, valid, users);
      return { level1: out.level1, level2: out.level2 };
    });
    return { level1, level2 };
  }

  /**
   * A snapshot scorer of users against every item from their histories in `history` (default:
   * training; pass training + validation for the test split).
   */
  allItemScorer(history?: Interactions): {
    readonly score: (users: Int32Array) => tf.Tensor2D;
    readonly dispose: () => void;
  } {
    const frozen = this.variables.frozenCopy();
    const { params } = frozen;
    const table = tf.tidy(() => this.itemTable(params));
    const source = history === undefined ? this.histories : userTimelines(history);
    const { items } = this.config;
    return {
      score: (users) =>
        tf.tidy(() => {
          const { ids, valid } = this.groups(users, source);
          const { level2 } = this.encode(params, table, ids, valid, users);
          return catalogueDotScores(level2, table, params.itemBias, items);
        }),
      dispose: () => {
        if (table !== params.items) table.dispose();
        frozen.dispose();
      },
    };
  }
}

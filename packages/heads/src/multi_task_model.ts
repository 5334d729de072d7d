/**
 * A multi-task recommender: user and item embeddings form a shared pair representation
 * (pᵤ ⊙ qᵢ, pᵤ, qᵢ); a bottom — one shared layer, or MMoE's experts with a softmax gate per task
 * (Ma et al., KDD 2018) — feeds three heads: rating regression, like prediction (rating ≥ a
 * threshold, and unobserved items as dislikes), and ranking. Task losses are weighted by fixed
 * weights or learned by uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018). With a
 * multi-task teacher attached, each head also distils from the teacher's (rating: squared error to
 * the teacher's prediction; like: soft binary cross-entropy at a temperature).
 * @module
 */
import {
  integerInRange,
  type KdrecError,
  kdrecError,
  numberInRange,
  positiveNumber,
  type Random,
  seededRandom,
  strictType,
} from "@kdrec/core";
import { entryUsers, type Interactions, numItems, numUsers, uniformNegatives, userItemSets } from "@kdrec/data";
import { type DenseParams, dense, initDense, normalVariable } from "@kdrec/layers";
import { binaryCrossEntropy, softBinaryCrossEntropy } from "@kdrec/losses";
import {
  type ItemLists,
  type TaskPredictions,
  type TaskTeacher,
  VariableModel,
  type VariableModelState,
} from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";

/**
 * The tasks, in the order of learned weights and reports.
 * @category Heads
 */
export const TASKS = ["rating", "like", "ranking"] as const;
/**
 * A task's name.
 * @category Heads
 */
export type Task = (typeof TASKS)[number];

/**
 * Fixed task weights (an io-ts codec); a missing task weighs 1.
 * @category Heads
 */
export const TaskWeights = strictType(
  {},
  { rating: numberInRange(0, 1e3), like: numberInRange(0, 1e3), ranking: numberInRange(0, 1e3) },
  "TaskWeights",
);

/**
 * The model's shape and training settings (an io-ts codec).
 * @category Heads
 */
export const MultiTaskConfig = t.intersection(
  [
    t.type({ users: integerInRange(1), items: integerInRange(1), dim: integerInRange(1, 4096) }),
    t.partial({
      /** `shared-bottom` (default) or `mmoe`. */
      bottom: t.keyof({ "shared-bottom": null, mmoe: null }),
      /** Width of the bottom layer (and of each expert); default 32. */
      hidden: integerInRange(1, 4096),
      /** MMoE: number of experts; default 4. */
      experts: integerInRange(1, 64),
      /** `fixed` (default, `taskWeights`) or `uncertainty` (learned). */
      weighting: t.keyof({ fixed: null, uncertainty: null }),
      /** Fixed weights; default 1 each. */
      taskWeights: TaskWeights,
      /** Ratings at or above this are likes; default 4. */
      likeThreshold: t.number,
      learningRate: positiveNumber,
      /** L2 on the embeddings a batch reads, per row; default 0. */
      l2: numberInRange(0, 100),
      seed: t.number,
    }),
  ],
  "MultiTaskConfig",
);
/**
 * The decoded form of {@link MultiTaskConfig}.
 * @category Heads
 */
export type MultiTaskConfig = t.TypeOf<typeof MultiTaskConfig>;

/**
 * Per-task distillation settings: each head's weight α (the task loss keeps 1 − α) and, for the
 * like head, the temperature of its soft targets.
 * @category Heads
 */
export interface TaskDistillation {
  readonly rating?: { readonly alpha: number };
  readonly like?: { readonly alpha: number; readonly temperature?: number };
}

interface Params {
  readonly users: tf.Variable;
  readonly items: tf.Variable;
  /** Shared-bottom: one layer; MMoE: one per expert. */
  readonly experts: ReadonlyArray<DenseParams>;
  /** MMoE: a gate per task (`[3d, experts]`); empty for shared-bottom. */
  readonly gates: ReadonlyArray<DenseParams>;
  readonly heads: Readonly<Record<Task, DenseParams>>;
  /** Uncertainty weighting: a log-variance per task. */
  readonly logVariances: tf.Variable;
}

/**
 * Per-head distillation of a multi-task student: the teacher's heads and each head's settings.
 * @category Heads
 */
export interface HeadDistillation {
  readonly teacher: TaskTeacher;
  readonly settings: TaskDistillation;
}

/**
 * Weights plus the optimizer's state and the step counter.
 * @category Heads
 */
export type MultiTaskState = VariableModelState;

/**
 * A multi-task model with the trainer's model interface: the trainer's loss (a strategy's
 * mixture) applies to the ranking head's scores of the batch's lists; the rating and like losses,
 * whose labels the model reads from the training interactions by `batch.rows`, are added here.
 * @example
 * ```ts
 * const model = MultiTaskModel.create({ users: 943, items: 1682, dim: 16, bottom: "mmoe" }, split.train);
 * ```
 * @category Heads
 */
export class MultiTaskModel extends VariableModel<Params> {
  private readonly meanRating: number;
  private readonly negatives: ReturnType<typeof uniformNegatives> extends E.Either<unknown, infer S> ? S : never;

  private constructor(
    readonly config: MultiTaskConfig,
    params: Params,
    private readonly train: Interactions & { readonly ratings: Float32Array },
    /** Per-head distillation: the teacher's heads and each head's settings (fixed at creation). */
    private readonly teacher: HeadDistillation | undefined,
  ) {
    super(params, config.learningRate ?? 1e-3);
    this.meanRating = train.ratings.reduce((a, b) => a + b, 0) / Math.max(1, train.ratings.length);
    const sampler = uniformNegatives(userItemSets(train));
    if (E.isLeft(sampler)) throw new RangeError(`MultiTaskModel: ${sampler.left.message}`);
    this.negatives = sampler.right;
  }

  /**
   * A model initialised from the config's seed over `train` (which must carry ratings); with
   * `distillation`, each head also distils from a multi-task teacher's (the trainer's strategy
   * distils the ranking head). Fails when the data has no ratings (the rating and like heads have
   * no labels), sizes disagree, or a head's α is outside [0, 1] or its T ≤ 0.
   */
  static create(
    config: MultiTaskConfig,
    train: Interactions,
    distillation?: HeadDistillation,
  ): E.Either<KdrecError, MultiTaskModel> {
    const fail = (message: string, where = "MultiTaskModel.create") =>
      E.left(kdrecError("INVALID_ARGUMENT", message, where));
    if (train.ratings === undefined) return fail("the data has no ratings: the rating and like heads have no labels");
    if (numUsers(train) !== config.users || numItems(train) !== config.items)
      return fail(
        `config has ${config.users} users and ${config.items} items, the data ${numUsers(train)} and ${numItems(train)}`,
      );
    for (const [task, h] of Object.entries(distillation?.settings ?? {}) as Array<
      [string, { alpha: number; temperature?: number }]
    >) {
      if (!(h.alpha >= 0 && h.alpha <= 1)) return fail(`must be in [0, 1], got ${h.alpha}`, `${task}.alpha`);
      if (h.temperature !== undefined && !(h.temperature > 0))
        return fail(`must be greater than 0, got ${h.temperature}`, `${task}.temperature`);
    }
    const rng = seededRandom(config.seed ?? 0);
    const { dim } = config;
    const hidden = config.hidden ?? 32;
    const mmoe = config.bottom === "mmoe";
    const experts = mmoe ? (config.experts ?? 4) : 1;
    const params: Params = {
      users: normalVariable(rng.split("users"), [config.users, dim], 0.1),
      items: normalVariable(rng.split("items"), [config.items, dim], 0.1),
      experts: Array.from({ length: experts }, (_, k) => initDense(rng.split(`expert-${k}`), 3 * dim, hidden)),
      gates: mmoe ? TASKS.map((task) => initDense(rng.split(`gate-${task}`), 3 * dim, experts)) : [],
      heads: {
        rating: initDense(rng.split("rating"), hidden, 1),
        like: initDense(rng.split("like"), hidden, 1),
        ranking: initDense(rng.split("ranking"), hidden, 1),
      },
      logVariances: tf.tidy(() => tf.variable(tf.zeros([TASKS.length]), true)),
    };
    return E.right(new MultiTaskModel(config, params, train as Interactions & { ratings: Float32Array }, distillation));
  }

  /** Embeddings, bottom and heads (the learned task weights are training aids, not counted). */
  get parameterCount(): number {
    return this.variables.size - TASKS.length;
  }

  /** Per-task inputs `[N, hidden]` for pairs (one shared tensor, or MMoE's per-task mixtures). */
  private bottoms(params: Params, users: tf.Tensor1D, items: tf.Tensor1D): Record<Task, tf.Tensor2D> {
    const pu = tf.gather(params.users, users) as tf.Tensor2D;
    const qi = tf.gather(params.items, items) as tf.Tensor2D;
    const z = tf.concat([tf.mul(pu, qi), pu, qi], 1);
    const experts = params.experts.map((e) => tf.relu(dense(z, e)) as tf.Tensor2D);
    if (params.gates.length === 0) {
      const shared = experts[0]!;
      return { rating: shared, like: shared, ranking: shared };
    }
    const stacked = tf.stack(experts, 1); // [N, E, hidden]
    const mix = (gate: DenseParams) =>
      tf.sum(tf.mul(stacked, tf.expandDims(tf.softmax(dense(z, gate) as tf.Tensor2D), 2)), 1) as tf.Tensor2D;
    return { rating: mix(params.gates[0]!), like: mix(params.gates[1]!), ranking: mix(params.gates[2]!) };
  }

  private head(params: Params, task: Task, input: tf.Tensor2D): tf.Tensor1D {
    const out = tf.reshape(dense(input, params.heads[task]), [-1]) as tf.Tensor1D;
    return task === "rating" ? (tf.add(out, this.meanRating) as tf.Tensor1D) : out;
  }

  /** Rating predictions and like logits for pairs (inference). */
  predictTasks(users: Int32Array, items: Int32Array): TaskPredictions {
    return tf.tidy(() => {
      const b = this.bottoms(this.params, tf.tensor1d(users, "int32"), tf.tensor1d(items, "int32"));
      return { rating: this.head(this.params, "rating", b.rating), like: this.head(this.params, "like", b.like) };
    });
  }

  /** Rows of one batch: the positives, their ratings and like labels, and one sampled dislike each. */
  private labelled(users: Int32Array, rows: Int32Array, rng: Random) {
    const n = users.length;
    const threshold = this.config.likeThreshold ?? 4;
    const pairUsers = new Int32Array(2 * n);
    const pairItems = new Int32Array(2 * n);
    const likes = new Float32Array(2 * n);
    const ratings = new Float32Array(n);
    for (let b = 0; b < n; b++) {
      const r = rows[b]!;
      pairUsers[b] = users[b]!;
      pairItems[b] = this.train.items[r]!;
      ratings[b] = this.train.ratings[r]!;
      likes[b] = ratings[b]! >= threshold ? 1 : 0;
      pairUsers[n + b] = users[b]!;
      pairItems[n + b] = this.negatives.sample(users[b]!, rng);
    }
    return { pairUsers, pairItems, likes, ratings };
  }

  /**
   * One Adam step: the trainer's `loss` on the ranking head's list scores, plus the rating loss
   * (squared error on the rows' positives) and the like loss (BCE on the positives' labels and one
   * sampled unobserved item per row), weighted fixed or by uncertainty, plus the heads' distillation
   * from an attached teacher. Needs `batch.rows`.
   */
  trainStep(batch: ItemLists, loss: (scores: tf.Tensor2D) => tf.Scalar): number {
    const { users, items, width, rows } = batch;
    if (rows === undefined) throw new RangeError("MultiTaskModel.trainStep: the batch has no rows (their labels)");
    this.step += 1;
    const rng = seededRandom(this.config.seed ?? 0).split(`step-${this.step}`);
    const { pairUsers, pairItems, likes, ratings } = this.labelled(users, rows, rng);
    const n = users.length;
    const teacher = this.teacher;
    const targets = teacher === undefined ? undefined : teacher.teacher.predictTasks(pairUsers, pairItems);
    const weights = this.config.taskWeights ?? {};
    const l2 = this.config.l2 ?? 0;
    const value = this.optimizer.minimize(() => {
      const rankBottom = this.bottoms(
        this.params,
        tf.tensor1d(entryUsers(users, width), "int32"),
        tf.tensor1d(items, "int32"),
      );
      const scores = tf.reshape(this.head(this.params, "ranking", rankBottom.ranking), [n, width]) as tf.Tensor2D;
      const rankingLoss = loss(scores);
      const b = this.bottoms(this.params, tf.tensor1d(pairUsers, "int32"), tf.tensor1d(pairItems, "int32"));
      const predicted = this.head(this.params, "rating", b.rating);
      let ratingLoss: tf.Scalar = tf.mean(tf.squaredDifference(tf.slice(predicted, 0, n), tf.tensor1d(ratings)));
      const likeLogits = this.head(this.params, "like", b.like);
      let likeLoss = binaryCrossEntropy(likeLogits, tf.tensor1d(likes));
      if (targets !== undefined && teacher !== undefined) {
        const { rating, like } = teacher.settings;
        if (rating !== undefined)
          ratingLoss = tf.add(
            tf.mul(ratingLoss, 1 - rating.alpha),
            tf.mul(tf.mean(tf.squaredDifference(predicted, targets.rating)), rating.alpha),
          ) as tf.Scalar;
        if (like !== undefined)
          likeLoss = tf.add(
            tf.mul(likeLoss, 1 - like.alpha),
            tf.mul(softBinaryCrossEntropy(likeLogits, targets.like, like.temperature ?? 1), like.alpha),
          ) as tf.Scalar;
      }
      const parts = [ratingLoss, likeLoss, rankingLoss];
      let total: tf.Scalar;
      if (this.config.weighting === "uncertainty") {
        // Σ exp(−sₜ)·Lₜ + sₜ: a task's weight falls as its learned noise sₜ rises.
        const s = this.params.logVariances;
        total = tf.addN(
          parts.map((part, k) => {
            const sk = tf.reshape(tf.slice(s, k, 1), []);
            return tf.add(tf.mul(tf.exp(tf.neg(sk)), part), sk);
          }),
        ) as tf.Scalar;
      } else {
        total = tf.addN(parts.map((part, k) => tf.mul(part, weights[TASKS[k]!] ?? 1))) as tf.Scalar;
      }
      if (l2 > 0) {
        const read = [
          tf.gather(this.params.users, tf.tensor1d(users, "int32")),
          tf.gather(this.params.items, tf.tensor1d(items, "int32")),
        ];
        total = tf.add(total, tf.mul(tf.addN(read.map((x) => tf.sum(tf.square(x)))), l2 / n)) as tf.Scalar;
      }
      return total;
    });
    if (targets !== undefined) tf.dispose([targets.rating, targets.like]);
    return value;
  }

  /** A snapshot scorer of users against every item by the ranking head. */
  allItemScorer(): { readonly score: (users: Int32Array) => tf.Tensor2D; readonly dispose: () => void } {
    const frozen = this.variables.frozenCopy();
    const { params } = frozen;
    const { items } = this.config;
    return {
      score: (users) =>
        tf.tidy(() => {
          // Every (user, item) pair: each user repeated over the catalogue, the catalogue tiled.
          const pairItems = new Int32Array(users.length * items);
          for (let k = 0; k < pairItems.length; k++) pairItems[k] = k % items;
          const bottom = this.bottoms(
            params,
            tf.tensor1d(entryUsers(users, items), "int32"),
            tf.tensor1d(pairItems, "int32"),
          );
          return tf.reshape(this.head(params, "ranking", bottom.ranking), [users.length, items]) as tf.Tensor2D;
        }),
      dispose: frozen.dispose,
    };
  }

  /** The learned task weights exp(−sₜ) (all 1 under fixed weighting's untrained log-variances). */
  learnedTaskWeights(): Record<Task, number> {
    const s = this.params.logVariances.dataSync();
    return { rating: Math.exp(-s[0]!), like: Math.exp(-s[1]!), ranking: Math.exp(-s[2]!) };
  }
}

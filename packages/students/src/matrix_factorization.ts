/**
 * Matrix factorization: score(u, i) = pᵤ · qᵢ (+ bᵢ), trained by any loss over a batch of
 * per-user item lists, with sparse updates of the rows the batch touches.
 *
 * The tables live in Float32Arrays owned by the model. A training step scores the batch's item
 * lists, lets TF.js differentiate the loss with respect to those scores, carries the gradient down
 * to the touched rows and hands it to a {@link SparseOptimizer} — so a step costs O(batch), not
 * O(table) as with TF.js optimizers.
 * @module
 */
import { integerInRange, numberInRange, positiveNumber, seededRandom } from "@kdrec/core";
import * as tf from "@tensorflow/tfjs-core";
import * as t from "io-ts";
import { type SparseOptimizer, SparseOptimizerConfig, sparseOptimizer } from "./sparse_optimizer.js";

/**
 * A matrix-factorization model's shape and training settings (an io-ts codec).
 * @category Students
 */
export const MatrixFactorizationConfig = t.intersection(
  [
    t.type({ users: integerInRange(1), items: integerInRange(1), dim: integerInRange(1, 4096) }),
    t.partial({
      /** Add a per-item bias (user biases do not change a user's ranking, so there are none). */
      itemBias: t.boolean,
      /** Standard deviation of the normal initialisation; default 0.1. */
      initStd: positiveNumber,
      /** L2 penalty on the rows a batch touches, per example; default 0. */
      l2: numberInRange(0, 100),
      seed: t.number,
      /** Default: Adam, learning rate 1e-3. */
      optimizer: SparseOptimizerConfig,
    }),
  ],
  "MatrixFactorizationConfig",
);
/**
 * The decoded form of {@link MatrixFactorizationConfig}.
 * @category Students
 */
export type MatrixFactorizationConfig = t.TypeOf<typeof MatrixFactorizationConfig>;

/**
 * The weights of a {@link MatrixFactorization}, as copies.
 * @category Students
 */
export interface MatrixFactorizationWeights {
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  readonly itemBiases?: Float32Array;
}

/**
 * Weights plus the state of each table's optimizer.
 * @category Students
 */
export interface MatrixFactorizationState {
  readonly weights: MatrixFactorizationWeights;
  readonly optimizers: Readonly<Record<string, Readonly<Record<string, Float32Array | Float64Array | number>>>>;
}

/**
 * A batch of item lists: row `b` is user `users[b]` with items `items[b * width .. (b + 1) * width)`
 * (for BPR: width 2, positive then negative; for listwise distillation: the candidates).
 * @category Students
 */
export interface ItemListBatch {
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly width: number;
  /** The training interactions the rows stand for (MF does not need them; sequence models do). */
  readonly rows?: Int32Array;
}

/**
 * Distinct values in first-appearance order, and each input's position among them. `slots` is a
 * scratch table over the value range filled with -1 (left that way on return): a Map would cost
 * more than the rest of a step on long candidate lists.
 */
const distinct = (values: Int32Array, slots: Int32Array): [Int32Array, Int32Array] => {
  const index = new Int32Array(values.length);
  const order: number[] = [];
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    let p = slots[v]!;
    if (p < 0) {
      p = order.length;
      slots[v] = p;
      order.push(v);
    }
    index[k] = p;
  }
  const unique = Int32Array.from(order);
  for (const v of unique) slots[v] = -1;
  return [unique, index];
};

/**
 * A matrix-factorization model (student or teacher).
 * @example
 * ```ts
 * const mf = MatrixFactorization.create({ users: 943, items: 1682, dim: 8, seed: 1 });
 * mf.trainStep({ users, items: pairs, width: 2 }, (s) => bprLoss(column(s, 0), column(s, 1)));
 * ```
 * @category Students
 */
export class MatrixFactorization {
  private readonly userOptimizer: SparseOptimizer;
  private readonly itemOptimizer: SparseOptimizer;
  private readonly biasOptimizer: SparseOptimizer | undefined;
  private readonly userSlots: Int32Array;
  private readonly itemSlots: Int32Array;

  private constructor(
    readonly config: MatrixFactorizationConfig,
    readonly userFactors: Float32Array,
    readonly itemFactors: Float32Array,
    readonly itemBiases: Float32Array | undefined,
  ) {
    const optimizer = config.optimizer ?? { kind: "adam", learningRate: 1e-3 };
    this.userOptimizer = sparseOptimizer(optimizer, userFactors.length);
    this.itemOptimizer = sparseOptimizer(optimizer, itemFactors.length);
    this.biasOptimizer = itemBiases === undefined ? undefined : sparseOptimizer(optimizer, itemBiases.length);
    this.userSlots = new Int32Array(config.users).fill(-1);
    this.itemSlots = new Int32Array(config.items).fill(-1);
  }

  /** A model with factors drawn from N(0, initStd²) by the config's seed. */
  static create(config: MatrixFactorizationConfig): MatrixFactorization {
    const rng = seededRandom(config.seed ?? 0);
    const std = config.initStd ?? 0.1;
    const init = (n: number, name: string) => {
      const r = rng.split(name);
      return Float32Array.from({ length: n }, () => r.normal() * std);
    };
    return new MatrixFactorization(
      config,
      init(config.users * config.dim, "users"),
      init(config.items * config.dim, "items"),
      config.itemBias === true ? new Float32Array(config.items) : undefined,
    );
  }

  /** Trainable parameters: (users + items) × dim (+ items with item biases). */
  get parameterCount(): number {
    return (this.config.users + this.config.items) * this.config.dim + (this.itemBiases?.length ?? 0);
  }

  /**
   * One training step: the loss is differentiated (by TF.js) with respect to the batch's scores
   * only; the chain rule down to the touched rows is two small dot-product loops here, and only
   * those rows are updated. Returns the loss value (without the L2 penalty).
   *
   * Why not let TF.js differentiate through the gathers: on the native backend the ~35 small ops
   * of that graph cost more than the arithmetic (≈7.5 ms for a batch of 1,024 at d = 128), and on
   * the pure-JS backend the gather gradient alone takes seconds.
   */
  trainStep(batch: ItemListBatch, loss: (scores: tf.Tensor2D) => tf.Scalar): number {
    const { dim } = this.config;
    const { users: batchUsers, items: batchItems, width } = batch;
    const rows = batchUsers.length;
    if (batchItems.length !== rows * width) {
      throw new RangeError(`trainStep: ${batchItems.length} items for ${rows} users of width ${width}`);
    }
    const scores = this.listScores(batch);
    const { value, gradient } = tf.tidy(() => {
      const { value, grad } = tf.valueAndGrad((s: tf.Tensor) => loss(s as tf.Tensor2D))(
        tf.tensor2d(scores, [rows, width]),
      );
      return { value, gradient: grad };
    });
    // Read outside tidy: tidy would walk every element of a returned TypedArray.
    const scoreGradient = gradient.dataSync() as Float32Array;
    const lossValue = value.dataSync()[0]!;
    tf.dispose([value, gradient]);

    const [users, userIndex] = distinct(batchUsers, this.userSlots);
    const [items, itemIndex] = distinct(batchItems, this.itemSlots);
    const userGrad = new Float32Array(users.length * dim);
    const itemGrad = new Float32Array(items.length * dim);
    const biasGrad = this.itemBiases === undefined ? undefined : new Float32Array(items.length);
    const P = this.userFactors;
    const Q = this.itemFactors;
    for (let b = 0; b < rows; b++) {
      const pu = batchUsers[b]! * dim;
      const gu = userIndex[b]! * dim;
      for (let j = 0; j < width; j++) {
        const k = b * width + j;
        const g = scoreGradient[k]!;
        if (g === 0) continue;
        const qi = batchItems[k]! * dim;
        const gi = itemIndex[k]! * dim;
        for (let d = 0; d < dim; d++) {
          userGrad[gu + d]! += g * Q[qi + d]!;
          itemGrad[gi + d]! += g * P[pu + d]!;
        }
        if (biasGrad !== undefined) biasGrad[itemIndex[k]!]! += g;
      }
    }
    // L2 (l2/B · Σ‖touched row‖²) enters as weight decay inside the optimizers' row loops.
    const decay = (2 * (this.config.l2 ?? 0)) / rows;
    this.userOptimizer.apply(P, dim, users, userGrad, decay);
    this.itemOptimizer.apply(Q, dim, items, itemGrad, decay);
    if (biasGrad !== undefined) this.biasOptimizer!.apply(this.itemBiases!, 1, items, biasGrad);
    return lossValue;
  }

  /** The scores `[B, width]` of a batch's item lists, as a tensor (no training). */
  scoreLists(batch: ItemListBatch): tf.Tensor2D {
    return tf.tensor2d(this.listScores(batch), [batch.users.length, batch.width]);
  }

  /** The scores of a batch's item lists, computed here (row-major `[B, width]`). */
  private listScores(batch: ItemListBatch): Float32Array {
    const { dim } = this.config;
    // Locals, not this.*, in the hot loop: V8 cannot hoist property loads it cannot prove constant.
    const P = this.userFactors;
    const Q = this.itemFactors;
    const biases = this.itemBiases;
    const { users, items, width } = batch;
    const out = new Float32Array(items.length);
    for (let b = 0; b < users.length; b++) {
      const pu = users[b]! * dim;
      for (let j = 0; j < width; j++) {
        const k = b * width + j;
        const item = items[k]!;
        const qi = item * dim;
        let dot = biases === undefined ? 0 : biases[item]!;
        for (let d = 0; d < dim; d++) dot += P[pu + d]! * Q[qi + d]!;
        out[k] = dot;
      }
    }
    return out;
  }

  /** Copies of the weights (the trainer keeps the best epoch's). */
  snapshot(): MatrixFactorizationWeights {
    return {
      userFactors: this.userFactors.slice(),
      itemFactors: this.itemFactors.slice(),
      ...(this.itemBiases === undefined ? {} : { itemBiases: this.itemBiases.slice() }),
    };
  }

  /** Puts weights from {@link MatrixFactorization.snapshot} back (optimizer state is kept). */
  restore(weights: MatrixFactorizationWeights): void {
    this.userFactors.set(weights.userFactors);
    this.itemFactors.set(weights.itemFactors);
    if (this.itemBiases !== undefined && weights.itemBiases !== undefined) this.itemBiases.set(weights.itemBiases);
  }

  /**
   * Weights and optimizer state, copied: what a checkpoint needs to resume training exactly.
   */
  trainingState(): MatrixFactorizationState {
    const copy = (state: Readonly<Record<string, Float32Array | Float64Array | number>>) =>
      Object.fromEntries(Object.entries(state).map(([k, v]) => [k, typeof v === "number" ? v : v.slice()]));
    return {
      weights: this.snapshot(),
      optimizers: {
        users: copy(this.userOptimizer.state()),
        items: copy(this.itemOptimizer.state()),
        ...(this.biasOptimizer === undefined ? {} : { biases: copy(this.biasOptimizer.state()) }),
      },
    };
  }

  /** Restores {@link MatrixFactorization.trainingState}. */
  restoreTrainingState(state: MatrixFactorizationState): void {
    this.restore(state.weights);
    this.userOptimizer.load(state.optimizers.users!);
    this.itemOptimizer.load(state.optimizers.items!);
    if (this.biasOptimizer !== undefined && state.optimizers.biases !== undefined)
      this.biasOptimizer.load(state.optimizers.biases);
  }

  /**
   * A scorer of users against every item, for full ranking and serving: a snapshot of the tables
   * uploaded once; call `dispose()` when done.
   */
  allItemScorer(): { readonly score: (users: Int32Array) => tf.Tensor2D; readonly dispose: () => void } {
    const { dim, items, users } = this.config;
    // Copies: the scorer is a snapshot (training may go on), and the cpu backend keeps the
    // TypedArray it is given.
    const userTable = tf.tensor2d(this.userFactors.slice(), [users, dim]);
    const itemTable = tf.tensor2d(this.itemFactors.slice(), [items, dim]);
    const biases = this.itemBiases === undefined ? undefined : tf.tensor2d(this.itemBiases.slice(), [1, items]);
    return {
      score: (ids) =>
        tf.tidy(() => {
          const scores = tf.matMul(tf.gather(userTable, tf.tensor1d(ids, "int32")), itemTable, false, true);
          return (biases === undefined ? scores : tf.add(scores, biases)) as tf.Tensor2D;
        }),
      dispose: () => tf.dispose([userTable, itemTable, ...(biases === undefined ? [] : [biases])]),
    };
  }
}

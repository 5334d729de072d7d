/**
 * Matrix factorization: score(u, i) = pᵤ · qᵢ (+ bᵢ), trained by any loss over a batch of
 * per-user item lists, with sparse updates of the rows the batch touches.
 *
 * The tables live in a WebAssembly memory owned by the model (a {@link RowArena}). A training step
 * scores the batch's item lists, lets TF.js differentiate the loss with respect to those scores,
 * carries the gradient down to the touched rows and hands it to a {@link SparseOptimizer} — so a
 * step costs O(batch), not O(table) as with TF.js optimizers. The three row loops (scores,
 * gradient rows, Adam) run as WebAssembly SIMD kernels where the engine has SIMD.
 * @module
 */
import {
  hasEngineKernel,
  integerInRange,
  KdrecScoreTopKExcluding,
  KdrecTopKExcluding,
  numberInRange,
  positiveNumber,
  scoreTopKExcluding,
  seededRandom,
  topKExcluding,
} from "@kdrec/core";
import { asItemLists, type PairwiseBatch, type UserItems } from "@kdrec/data";
import { closedFormOf, kernelTermProblem, readsTeacher, rowBprGradient } from "@kdrec/losses";
import {
  type EntityLimit,
  type EntityRepresentations,
  gatherRows,
  type ItemLists,
  type ListEpoch,
  type RepresentationLoss,
  type ScoreGradient,
  type TeacherScoreSource,
  type TrainingThreads,
} from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";
import * as t from "io-ts";
import { isKernelPool, type KernelPool } from "./kernel_pool.js";
import { type BatchTraining, bprBatchesInArena, listBatchesInArena } from "./kernels/batch_kernels.js";
import { listScores } from "./kernels/list_scores.js";
import { rowGradients } from "./kernels/row_gradients.js";
import { scoreTopK, scoreTopKOnPool, scoreTopKWorkSize } from "./kernels/score_top_k.js";
import { selectTopK, selectTopKInArena } from "./kernels/select_top_k.js";

/** Users per matrix product of `topK` on the engine (a block's scores: 1,024 × items floats). */
const ENGINE_TOP_K_BATCH = 1024;
/** Users per call of the scoring kernel (no score block: only their rows and lists are held). */
const SCORING_KERNEL_BATCH = 65536;
/**
 * Widest factors `topK` scores in the selection kernel (ML-100K, top 10 of 943 users, median of 200
 * calls, six users × 32 items a tile: d = 64 1.4–1.6 ms against 2.3–3.0 ms for product +
 * selection; d = 128 2.3–3.3 ms against 2.7–4.1 ms, three alternations).
 */
const SCORING_KERNEL_MAX_DIM = 128;

import { RowArena } from "./row_arena.js";
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
 * Writes the distinct values in first-appearance order to `unique` and each input's position among
 * them to `index`; returns how many there are. `slots` is a scratch table over the value range
 * filled with -1 (left that way on return): a Map would cost more than the rest of a step on long
 * candidate lists.
 */
/** `into[0 … from.length) += from`. */
const addInto = (into: Float32Array, from: Float32Array): void => {
  for (let k = 0; k < from.length; k++) into[k] = into[k]! + from[k]!;
};

const distinct = (values: Int32Array, slots: Int32Array, unique: Int32Array, index: Int32Array): number => {
  let count = 0;
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    let p = slots[v]!;
    if (p < 0) {
      p = count++;
      slots[v] = p;
      unique[p] = v;
    }
    index[k] = p;
  }
  for (let p = 0; p < count; p++) slots[unique[p]!] = -1;
  return count;
};

/** What is wrong with a list epoch's teacher for a model of this shape (undefined: nothing). */
const teacherSourceProblem = (
  teacher: TeacherScoreSource,
  { users, items }: { readonly users: number; readonly items: number },
): string | undefined => {
  if ("table" in teacher)
    return teacher.table.length === users * items
      ? undefined
      : `the teacher's score table has ${teacher.table.length} scores for ${users} × ${items}`;
  const { dim, userFactors, itemFactors, itemBiases } = teacher.factors;
  if (userFactors.length !== users * dim || itemFactors.length !== items * dim)
    return `the teacher's tables hold ${userFactors.length} and ${itemFactors.length} values, not ${users} × ${dim} and ${items} × ${dim}`;
  if (itemBiases !== undefined && itemBiases.length !== items)
    return `the teacher's item biases hold ${itemBiases.length} values for ${items} items`;
  return undefined;
};

/** The teacher's scores of a batch's lists, from its score table or its tables (the steps one at a time). */
const teacherListScores = (teacher: TeacherScoreSource, lists: ItemLists, items: number): Float32Array =>
  Float32Array.from(lists.items, (item, j) => {
    const user = lists.users[Math.floor(j / lists.width)]!;
    if ("table" in teacher) return teacher.table[user * items + item]!;
    const { dim, userFactors, itemFactors, itemBiases } = teacher.factors;
    let score = itemBiases?.[item] ?? 0;
    for (let d = 0; d < dim; d++) score += userFactors[user * dim + d]! * itemFactors[item * dim + d]!;
    return score;
  });

/** Per user, `k` items and their scores, row-major (what `topK` returns). */
type TopKLists = { readonly items: Int32Array; readonly scores: Float32Array };

/** What the engine top-K paths put on the engine once per call. */
interface EngineTables {
  readonly itemFactors: tf.Tensor2D;
  readonly itemBiases: tf.Tensor1D | undefined;
  readonly excludedOffsets: tf.Tensor1D;
  readonly excludedItems: tf.Tensor1D;
}

/**
 * A matrix-factorization model (student or teacher).
 * @example
 * ```ts
 * const mf = MatrixFactorization.create({ users: 943, items: 1682, dim: 8, seed: 1 });
 * mf.trainStep({ users, items: pairs, width: 2 }, (s) => rowBprLoss(s));
 * ```
 * @category Students
 */
export class MatrixFactorization {
  private readonly userOptimizer: SparseOptimizer;
  private readonly itemOptimizer: SparseOptimizer;
  private readonly biasOptimizer: SparseOptimizer | undefined;
  private readonly userSlots: Int32Array;
  private readonly itemSlots: Int32Array;
  // Byte offsets of the tables in the arena: views are made on demand, since growing the
  // arena's memory (for a larger batch) detaches earlier ones.
  private readonly userTable: number;
  private readonly itemTable: number;
  private readonly biasTable: number | undefined;
  /** Which tables train (partial fine-tuning freezes the others). */
  private trained = { users: true, items: true };

  private constructor(
    readonly config: MatrixFactorizationConfig,
    private readonly arena: RowArena,
    private readonly pool?: KernelPool,
  ) {
    const { users, items, dim } = config;
    this.userTable = arena.reserve(users * dim);
    this.itemTable = arena.reserve(items * dim);
    this.biasTable = config.itemBias === true ? arena.reserve(items) : undefined;
    const optimizer = config.optimizer ?? { kind: "adam", learningRate: 1e-3 };
    this.userOptimizer = sparseOptimizer(optimizer, users * dim, arena);
    this.itemOptimizer = sparseOptimizer(optimizer, items * dim, arena);
    this.biasOptimizer = this.biasTable === undefined ? undefined : sparseOptimizer(optimizer, items, arena);
    this.userSlots = new Int32Array(users).fill(-1);
    this.itemSlots = new Int32Array(items).fill(-1);
  }

  /**
   * A model with factors drawn from N(0, initStd²) by the config's seed (item biases start at 0).
   * `simd: false` runs the row loops in JavaScript instead of WebAssembly SIMD (same results up to
   * float rounding; for comparisons). With a `pool` ({@link KernelPool}) the tables live in the
   * pool's shared arena, so that {@link MatrixFactorization.trainPairwiseEpoch} can train on all
   * its threads.
   */
  static create(
    config: MatrixFactorizationConfig,
    options: { readonly simd?: boolean; readonly pool?: KernelPool } = {},
  ): MatrixFactorization {
    const arena = options.pool?.arena ?? RowArena.create(options);
    const model = new MatrixFactorization(config, arena, options.pool);
    const rng = seededRandom(config.seed ?? 0);
    const std = config.initStd ?? 0.1;
    const init = (table: Float32Array, name: string) => {
      const r = rng.split(name);
      for (let k = 0; k < table.length; k++) table[k] = r.normal() * std;
    };
    init(model.userFactors, "users");
    init(model.itemFactors, "items");
    return model;
  }

  /** The user table, row-major `[users, dim]` (a live view: writes change the model). */
  get userFactors(): Float32Array {
    return this.arena.f32(this.userTable, this.config.users * this.config.dim);
  }

  /** The item table, row-major `[items, dim]` (a live view). */
  get itemFactors(): Float32Array {
    return this.arena.f32(this.itemTable, this.config.items * this.config.dim);
  }

  /** The item biases, when the model has them (a live view). */
  get itemBiases(): Float32Array | undefined {
    return this.biasTable === undefined ? undefined : this.arena.f32(this.biasTable, this.config.items);
  }

  /** The tables that can train on their own: `users`, and `items` (with the item biases). */
  readonly trainableParts: ReadonlyArray<string> = ["users", "items"];

  /** Updates only the named tables from the next step on (both when `undefined`). */
  trainOnly(parts: ReadonlyArray<string> | undefined): void {
    this.trained = { users: parts?.includes("users") ?? true, items: parts?.includes("items") ?? true };
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
  trainStep(batch: ItemLists, loss: (scores: tf.Tensor2D) => tf.Scalar): number {
    return this.stepWith(batch, (scores, gradient) => {
      const { value, grad } = tf.tidy(() =>
        tf.valueAndGrad((s: tf.Tensor) => loss(s as tf.Tensor2D))(
          // A copy: the tensor may keep the array it is given, and the arena reuses this one.
          tf.tensor2d(scores.slice(), [batch.users.length, batch.width]),
        ),
      );
      // Read outside tidy: tidy would walk every element of a returned TypedArray.
      gradient.set(grad.dataSync() as Float32Array);
      const lossValue = value.dataSync()[0]!;
      tf.dispose([value, grad]);
      return lossValue;
    });
  }

  /**
   * {@link MatrixFactorization.trainStep} for a loss in closed form (`@kdrec/losses`'
   * `mixtureGradient`): scores, gradient, rows and Adam all in the arena, no tensor op at all.
   * @example
   * ```ts
   * const mf = MatrixFactorization.create({ users: 943, items: 1682, dim: 8, seed: 1 });
   * mf.trainStepWithGradient({ users, items: pairs, width: 2 }, (scores, gradient) =>
   *   rowBprGradient()({ rows: users.length, width: 2, student: scores }, 1, gradient),
   * );
   * ```
   */
  trainStepWithGradient(batch: ItemLists, lossGradient: ScoreGradient): number {
    return this.stepWith(batch, (scores, gradient) => lossGradient(scores, gradient.fill(0)));
  }

  /**
   * BPR steps over whole pairwise batches, one kernel call per thread for all of them (no
   * JavaScript between batches): the steps {@link MatrixFactorization.trainStepWithGradient}
   * takes with the BPR gradient, batch after batch (tested equal to float rounding). With a pool
   * of several threads — `threads` here, or the pool the model was made in (`create(config,
   * { pool })`, no copies) — the batches are dealt to the threads in turn and run at once over
   * shared tables without locks (Hogwild, Niu et al. 2011; a model elsewhere is copied into the
   * pool's memory for the epoch and back): faster on several cores, not reproducible run to run.
   * Otherwise one thread, deterministic. Where the kernel does not apply (an optimizer other than
   * Adam, partial fine-tuning, no SIMD) the same steps are taken one at a time. Returns each
   * batch's mean loss.
   * @example
   * ```ts
   * const pool = await startKernelPool({ threads: 2 });
   * const mf = MatrixFactorization.create({ users: 943, items: 1682, dim: 64, seed: 1 }, { pool });
   * const losses = mf.trainPairwiseEpoch([...pairwiseBatches(split.train, sampler, 1024, seededRandom(1))]);
   * ```
   */
  trainPairwiseEpoch(batches: ReadonlyArray<PairwiseBatch>, threads?: TrainingThreads): Float32Array {
    const run = this.wholeEpoch(batches.length, threads);
    if (run === undefined) {
      // The reference path, where the kernel does not apply: the same steps one at a time.
      const bpr = rowBprGradient();
      return Float32Array.from(batches, (batch) =>
        this.trainStepWithGradient(asItemLists(batch), (scores, gradient) =>
          bpr({ rows: batch.users.length, width: 2, student: scores }, 1, gradient),
        ),
      );
    }
    return run.finish(bprBatchesInArena(run.arena, run.kernels, run.pool, { ...run.training, batches }));
  }

  /**
   * Every step of an epoch on item lists in one kernel call per thread: per batch, the student's
   * list scores (and the teacher's, from its score table or its MF tables, where a term reads
   * them), each closed-form term of the mixture in order — BPR, soft-label cross-entropy, squared
   * error, ranking distillation, Plackett–Luce, soft BCE (as `@kdrec/losses`' closed forms: in f64,
   * the soft labels' per-column arithmetic in f32) — the rows' gradients and lazy Adam: the steps
   * {@link MatrixFactorization.trainStepWithGradient} takes with that mixture (tested equal to
   * float rounding), without a tensor op or a call out per batch. Threads as in {@link MatrixFactorization.trainPairwiseEpoch} (one thread:
   * deterministic; several: Hogwild). Where the kernel does not apply, the same steps one at a
   * time. Returns, per term, each batch's unweighted loss (NaN for a term of weight 0).
   * @example
   * ```ts
   * const mf = MatrixFactorization.create({ users: 943, items: 1682, dim: 8, seed: 1 });
   * const [bpr, softLabel] = mf.trainListEpoch({
   *   batchRows: [users.length],
   *   lists: () => ({ users, items: lists, width: 102 }), // [negative, positive, 100 candidates] per row
   *   width: 102,
   *   teacher: { table: teacherScores }, // [943 × 1682]: a frozen teacher's scoreTable (or { factors })
   *   terms: [
   *     { term: { kind: "bpr", positive: 1, negative: 0 }, weight: 0.2 },
   *     { term: { kind: "soft-label", first: 1, count: 101, temperature: 0.5 }, weight: 0.8 },
   *   ],
   * });
   * ```
   */
  trainListEpoch(epoch: ListEpoch, threads?: TrainingThreads): ReadonlyArray<Float32Array> {
    const { items } = this.config;
    const refuse = (problem: string) => new RangeError(`trainListEpoch: ${problem}`);
    if (epoch.terms.length === 0) throw refuse("no term to train");
    for (const { term } of epoch.terms) {
      const problem = kernelTermProblem(term, epoch.width);
      if (problem !== undefined) throw refuse(problem);
    }
    const needsTeacher = epoch.terms.some(({ term }) => readsTeacher(term));
    if (needsTeacher && epoch.teacher === undefined)
      throw refuse("a term reads the teacher's scores, and no teacher was given");
    // The teacher's scores only where a term reads them.
    const teacher = needsTeacher ? epoch.teacher : undefined;
    const problem = teacher === undefined ? undefined : teacherSourceProblem(teacher, this.config);
    if (problem !== undefined) throw refuse(problem);
    const batches = epoch.batchRows.length;
    const listsOf = (k: number) => {
      const lists = epoch.lists(k);
      if (lists.width !== epoch.width || lists.users.length !== epoch.batchRows[k])
        throw refuse(
          `batch ${k} has ${lists.users.length} rows of width ${lists.width}, expected ${epoch.batchRows[k]} of ${epoch.width}`,
        );
      return lists;
    };
    const terms = epoch.terms.length;
    const run = this.wholeEpoch(batches, threads);
    if (run === undefined) {
      const closedForms = epoch.terms.map(({ term }) => closedFormOf(term));
      const losses = epoch.terms.map(() => new Float32Array(batches));
      for (let k = 0; k < batches; k++) {
        const lists = listsOf(k);
        const teacherScores = teacher === undefined ? undefined : teacherListScores(teacher, lists, items);
        this.trainStepWithGradient(lists, (student, gradient) => {
          const scores = { rows: lists.users.length, width: epoch.width, student, teacher: teacherScores };
          let total = 0;
          epoch.terms.forEach(({ weight }, j) => {
            // A term of weight 0 is skipped, as by mixtureGradient.
            const value = weight === 0 ? Number.NaN : closedForms[j]!(scores, weight, gradient);
            losses[j]![k] = value;
            if (weight !== 0) total += weight * value;
          });
          return total;
        });
      }
      return losses;
    }
    const all = run.finish(
      listBatchesInArena(run.arena, run.kernels, run.pool, {
        ...run.training,
        batchRows: epoch.batchRows,
        lists: listsOf,
        width: epoch.width,
        terms: epoch.terms,
        ...(teacher === undefined ? {} : { teacher }),
      }),
    );
    return epoch.terms.map((_, j) => Float32Array.from({ length: batches }, (_, k) => all[k * terms + j]!));
  }

  /**
   * How a whole-epoch kernel runs `batches` steps, or undefined where it does not apply (an
   * optimizer other than Adam, partial fine-tuning, no SIMD, tables out of step): the arena and
   * threads (`threads` given here win over the pool the model was made in), the tables and
   * Adam's rates per batch, and `finish`, which moves the optimizers' step counts past the epoch.
   */
  private wholeEpoch(batches: number, threads: TrainingThreads | undefined) {
    const optimizer = this.config.optimizer ?? { kind: "adam", learningRate: 1e-3 };
    const kernels = this.arena.kernelsFor();
    const optimizers = [this.userOptimizer, this.itemOptimizer, ...(this.biasOptimizer ? [this.biasOptimizer] : [])];
    const steps = optimizers.map((o) => o.state().step as number);
    if (
      optimizer.kind !== "adam" ||
      !(this.trained.users && this.trained.items) ||
      kernels === undefined ||
      steps.some((s) => s !== steps[0])
    )
      return undefined;
    const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, learningRate } = optimizer;
    const rates = Float32Array.from({ length: batches }, (_, k) => {
      const step = steps[0]! + k + 1;
      return (learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
    });
    const moments = (o: SparseOptimizer): readonly [Float32Array, Float32Array] => {
      const state = o.state();
      return [state.m as Float32Array, state.v as Float32Array];
    };
    const pool = threads !== undefined && isKernelPool(threads) && threads.threads > 1 ? threads : this.pool;
    const training: BatchTraining = {
      tables: {
        userFactors: this.userFactors,
        itemFactors: this.itemFactors,
        itemBiases: this.itemBiases,
        userMoments: moments(this.userOptimizer),
        itemMoments: moments(this.itemOptimizer),
        biasMoments: this.biasOptimizer === undefined ? undefined : moments(this.biasOptimizer),
      },
      users: this.config.users,
      items: this.config.items,
      dim: this.config.dim,
      rates,
      beta1,
      beta2,
      epsilon,
      l2: this.config.l2 ?? 0,
    };
    return {
      arena: pool?.arena ?? this.arena,
      kernels: pool === undefined ? kernels : undefined,
      pool,
      training,
      finish: <T>(result: T): T => {
        for (const o of optimizers) o.load({ ...o.state(), step: steps[0]! + batches });
        return result;
      },
    };
  }

  /** The width of the representations a step exposes: a user's or an item's factor row. */
  get representationWidth(): number {
    return this.config.dim;
  }

  /**
   * A step whose loss reads the list scores and the factor rows of the batch's first
   * `limit.users` distinct users and `limit.items` distinct items (first seen first), and writes
   * the gradients of both: what representation distillation (distillation experts, topology
   * distillation) trains with. The rows' gradients join the scores' before the optimizer step.
   * @example
   * ```ts
   * const mf = MatrixFactorization.create({ users: 943, items: 1682, dim: 8, seed: 1 });
   * // BPR on the scores, plus ‖row‖² of the first 64 users' rows (gradient 2·row).
   * mf.trainStepWithRepresentations({ users, items: pairs, width: 2 }, { users: 64, items: 64 }, (scores, rows, gradients) => {
   *   rows.userRows.forEach((v, k) => {
   *     gradients.userRows[k] = 2 * v;
   *   });
   *   return rowBprGradient()({ rows: users.length, width: 2, student: scores }, 1, gradients.scores);
   * });
   * ```
   */
  trainStepWithRepresentations(batch: ItemLists, limit: EntityLimit, loss: RepresentationLoss): number {
    const { dim } = this.config;
    return this.stepWith(batch, (scores, gradient, step) => {
      const users = step.distinctUsers.subarray(0, Math.min(limit.users, step.userCount));
      const items = step.distinctItems.subarray(0, Math.min(limit.items, step.itemCount));
      const tables = this.tables();
      const representations: EntityRepresentations = {
        users: users.slice(),
        items: items.slice(),
        width: dim,
        userRows: gatherRows(tables.userFactors, users, dim),
        itemRows: gatherRows(tables.itemFactors, items, dim),
      };
      const rowGradients = {
        scores: gradient.fill(0),
        userRows: new Float32Array(users.length * dim),
        itemRows: new Float32Array(items.length * dim),
      };
      const value = loss(scores, representations, rowGradients);
      // Entity k is the step's distinct slot k: its row gradient adds to that slot's.
      return { value, userRows: rowGradients.userRows, itemRows: rowGradients.itemRows };
    });
  }

  /**
   * Scores the batch, lets `fill` write the loss's score gradient (and, for a representation
   * step, gradients of the first distinct users' and items' rows), and updates the touched rows.
   */
  private stepWith(
    batch: ItemLists,
    fill: (
      scores: Float32Array,
      gradient: Float32Array,
      step: { distinctUsers: Int32Array; distinctItems: Int32Array; userCount: number; itemCount: number },
    ) => number | { value: number; userRows: Float32Array; itemRows: Float32Array },
  ): number {
    const { dim } = this.config;
    const { width } = batch;
    const rows = batch.users.length;
    if (batch.items.length !== rows * width) {
      throw new RangeError(`trainStep: ${batch.items.length} items for ${rows} users of width ${width}`);
    }
    const step = this.scored(batch);
    const userCount = distinct(step.users, this.userSlots, step.distinctUsers, step.userSlots);
    const itemCount = distinct(step.items, this.itemSlots, step.distinctItems, step.itemSlots);
    const filled = fill(step.scores, step.scoreGradients, {
      distinctUsers: step.distinctUsers,
      distinctItems: step.distinctItems,
      userCount,
      itemCount,
    });
    const userGradients = step.userGradients.subarray(0, userCount * dim).fill(0);
    const itemGradients = step.itemGradients.subarray(0, itemCount * dim).fill(0);
    const biasGradients = this.biasTable === undefined ? undefined : step.biasGradients.subarray(0, itemCount).fill(0);
    const tables = this.tables();
    rowGradients(this.arena, { ...tables, ...step, width, dim, userGradients, itemGradients, biasGradients });
    if (typeof filled !== "number") {
      addInto(userGradients, filled.userRows);
      addInto(itemGradients, filled.itemRows);
    }
    // L2 (l2/B · Σ‖touched row‖²) enters as weight decay inside the optimizers' row loops.
    const decay = (2 * (this.config.l2 ?? 0)) / rows;
    const distinctUsers = step.distinctUsers.subarray(0, userCount);
    const distinctItems = step.distinctItems.subarray(0, itemCount);
    if (this.trained.users) this.userOptimizer.apply(tables.userFactors, dim, distinctUsers, userGradients, decay);
    if (this.trained.items) {
      this.itemOptimizer.apply(tables.itemFactors, dim, distinctItems, itemGradients, decay);
      if (biasGradients !== undefined) this.biasOptimizer!.apply(tables.itemBiases!, 1, distinctItems, biasGradients);
    }
    return typeof filled === "number" ? filled : filled.value;
  }

  /** The scores `[B, width]` of a batch's item lists, as a tensor (no training). */
  scoreLists(batch: ItemLists): tf.Tensor2D {
    return tf.tensor2d(this.scored(batch).scores.slice(), [batch.users.length, batch.width]);
  }

  /** A step's arrays holding the batch's users and items, with their list scores computed. */
  private scored(batch: ItemLists) {
    const { users, items, width } = batch;
    const step = this.stepArrays(users.length, width);
    step.users.set(users);
    step.items.set(items);
    listScores(this.arena, {
      ...this.tables(),
      users: step.users,
      items: step.items,
      width,
      dim: this.config.dim,
      out: step.scores,
    });
    return step;
  }

  /** Fresh views of the tables (taken after any growth of the arena). */
  private tables(): { userFactors: Float32Array; itemFactors: Float32Array; itemBiases: Float32Array | undefined } {
    return { userFactors: this.userFactors, itemFactors: this.itemFactors, itemBiases: this.itemBiases };
  }

  /** A step's arrays in the arena's scratch space, sized for `rows` lists of `width` items. */
  private stepArrays(rows: number, width: number) {
    const { dim, users, items } = this.config;
    const lists = rows * width;
    const maxUsers = Math.min(rows, users);
    const maxItems = Math.min(lists, items);
    const at = this.arena.scratch([
      rows,
      lists,
      lists,
      lists,
      rows,
      lists,
      maxUsers,
      maxItems,
      maxUsers * dim,
      maxItems * dim,
      maxItems,
    ]);
    const f32 = (k: number, n: number) => this.arena.f32(at[k]!, n);
    const i32 = (k: number, n: number) => this.arena.i32(at[k]!, n);
    return {
      users: i32(0, rows),
      items: i32(1, lists),
      scores: f32(2, lists),
      scoreGradients: f32(3, lists),
      userSlots: i32(4, rows),
      itemSlots: i32(5, lists),
      distinctUsers: i32(6, maxUsers),
      distinctItems: i32(7, maxItems),
      userGradients: f32(8, maxUsers * dim),
      itemGradients: f32(9, maxItems * dim),
      biasGradients: f32(10, maxItems),
    };
  }

  /**
   * A model with room for `users` users and `items` items (at least the current counts): the
   * current rows and their optimizer state are kept, the new rows drawn from N(0, initStd²) by
   * `seed` (default the config's + 1), item biases 0 — what an online update does when new users
   * and items arrive.
   * @example
   * ```ts
   * const bigger = mf.grown(mf.config.users + 10, mf.config.items + 3);
   * ```
   */
  grown(users: number, items: number, seed = (this.config.seed ?? 0) + 1): MatrixFactorization {
    const { users: oldUsers, items: oldItems } = this.config;
    if (!(Number.isInteger(users) && Number.isInteger(items) && users >= oldUsers && items >= oldItems))
      throw new RangeError(`grown: ${users} x ${items} cannot hold the current ${oldUsers} x ${oldItems}`);
    const bigger = MatrixFactorization.create({ ...this.config, users, items, seed }, { simd: this.arena.simd });
    const state = bigger.trainingState();
    const old = this.trainingState();
    // Row-major tables: the old rows are a prefix of the new ones (factors and optimizer state alike).
    const keep = (into: Float32Array | Float64Array | number, from: Float32Array | Float64Array | number) => {
      if (typeof into !== "number" && typeof from !== "number")
        into.set(from.subarray(0, Math.min(from.length, into.length)));
    };
    keep(state.weights.userFactors, old.weights.userFactors);
    keep(state.weights.itemFactors, old.weights.itemFactors);
    if (state.weights.itemBiases !== undefined && old.weights.itemBiases !== undefined)
      keep(state.weights.itemBiases, old.weights.itemBiases);
    const optimizers = Object.fromEntries(
      Object.entries(state.optimizers).map(([table, fields]) => [
        table,
        Object.fromEntries(
          Object.entries(fields).map(([name, value]) => {
            const previous = old.optimizers[table]?.[name];
            if (typeof value === "number") return [name, typeof previous === "number" ? previous : value];
            if (previous !== undefined) keep(value, previous);
            return [name, value];
          }),
        ),
      ]),
    );
    bigger.restoreTrainingState({ weights: state.weights, optimizers });
    return bigger;
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
   * Each of `users`' `k` best items, leaving out each user's items in `exclude` (sorted per user,
   * as `userItemSets` makes them: a user's training items), best first, ties to the lower index:
   * row `b` of `items` / `scores` (`[users.length, k]`, copies) holds user `users[b]`'s list, padded
   * with -1 / -∞ where fewer than `k` items are left. `path: "fused"`: one pass over the catalogue
   * per user in the arena (WebAssembly SIMD), with no score matrix and no mask; with a `pool`
   * ({@link KernelPool}), the users split over the pool's threads (same results). `path: "engine"`:
   * a matrix product on the engine for 1,024 users at a time, then the selection — by the engine's
   * `KdrecTopKExcluding` kernel where registered (native TensorFlow with `@kdrec/native-kernels`),
   * else a SIMD pass over the read-back scores. By default, `fused` when a `pool` is given, else
   * `engine` where that kernel is registered (`npm run bench:train`, 943 users: 2.0–2.5 ms at d = 8,
   * 2.5–2.7 at d = 64, against the fused pass's 2.9–3.0 and 7.3–10.4 on one thread), else `fused`.
   * @example
   * ```ts
   * const top = mf.topK(Int32Array.of(0, 1), 10, userItemSets(split.train));
   * top.items.subarray(0, 10); // user 0's ten best unseen items
   * ```
   */
  topK(
    users: Int32Array,
    k: number,
    exclude?: UserItems,
    options: { readonly path?: "engine" | "fused"; readonly pool?: KernelPool | undefined } = {},
  ): { readonly items: Int32Array; readonly scores: Float32Array } {
    const { dim, items, users: userCount } = this.config;
    if (!(Number.isInteger(k) && k > 0)) throw new RangeError(`topK: k must be a positive integer, got ${k}`);
    if (exclude !== undefined && (exclude.numItems !== items || exclude.offsets.length !== userCount + 1))
      throw new RangeError(
        `topK: the excluded lists cover ${exclude.offsets.length - 1} users x ${exclude.numItems} items; the model has ${userCount} x ${items}`,
      );
    for (const u of users)
      if (!(u >= 0 && u < userCount)) throw new RangeError(`topK: user ${u} is outside [0, ${userCount})`);
    const path =
      options.path ?? (options.pool === undefined && hasEngineKernel(KdrecTopKExcluding) ? "engine" : "fused");
    if (path === "engine") return this.topKOnEngine(users, k, exclude);
    if (options.pool !== undefined)
      return scoreTopKOnPool(options.pool, { ...this.tables(), users, dim, items, exclude, k });
    const at = this.arena.scratch([
      users.length,
      exclude === undefined ? 0 : exclude.offsets.length,
      exclude === undefined ? 0 : exclude.items.length,
      users.length * k,
      users.length * k,
      scoreTopKWorkSize(items, dim),
    ]);
    const view = {
      users: this.arena.i32(at[0]!, users.length),
      excludeOffsets: exclude === undefined ? undefined : this.arena.i32(at[1]!, exclude.offsets.length),
      excludeItems: exclude === undefined ? undefined : this.arena.i32(at[2]!, exclude.items.length),
      outItems: this.arena.i32(at[3]!, users.length * k),
      outScores: this.arena.f32(at[4]!, users.length * k),
      work: this.arena.f32(at[5]!, scoreTopKWorkSize(items, dim)),
    };
    view.users.set(users);
    if (exclude !== undefined) {
      view.excludeOffsets!.set(exclude.offsets);
      view.excludeItems!.set(exclude.items);
    }
    scoreTopK(this.arena, { ...this.tables(), ...view, dim, items, k });
    return { items: view.outItems.slice(), scores: view.outScores.slice() };
  }

  /**
   * {@link MatrixFactorization.topK} as a matrix product on the engine, 1,024 users at a time, then
   * the selection: on the engine by {@link KdrecTopKExcluding} where the backend has it (only the
   * lists read back), else in the arena over the read-back scores (WebAssembly SIMD; the JavaScript
   * loop without it), the item table padded to a multiple of 4 rows so that the product's rows are
   * the kernel's.
   */
  private topKOnEngine(
    users: Int32Array,
    k: number,
    exclude: UserItems | undefined,
  ): { readonly items: Int32Array; readonly scores: Float32Array } {
    const { dim, items } = this.config;
    // Up to SCORING_KERNEL_MAX_DIM, scoring in the selection kernel measured faster (no score block
    // in memory); wider factors go through the engine's matrix product.
    if (dim <= SCORING_KERNEL_MAX_DIM && hasEngineKernel(KdrecScoreTopKExcluding))
      return this.topKByScoringKernel(users, k, exclude);
    if (hasEngineKernel(KdrecTopKExcluding)) return this.topKByEngineKernel(users, k, exclude);
    const stride = Math.ceil(items / 4) * 4;
    const outItems = new Int32Array(users.length * k);
    const outScores = new Float32Array(users.length * k);
    const padded = new Float32Array(stride * dim);
    padded.set(this.itemFactors);
    const itemTable = tf.tensor2d(padded, [stride, dim]);
    const biases =
      this.itemBiases === undefined
        ? undefined
        : tf.tensor2d(
            Float32Array.from({ length: stride }, (_, i) => this.itemBiases![i] ?? 0),
            [1, stride],
          );
    for (let start = 0; start < users.length; start += ENGINE_TOP_K_BATCH) {
      const block = users.subarray(start, start + ENGINE_TOP_K_BATCH);
      const product = this.blockScores(block, itemTable, biases);
      // Read outside tidy: tidy would walk every element of a returned TypedArray.
      const values = product.dataSync() as Float32Array;
      product.dispose();
      // The scores, users, excluded lists and outputs in scratch space, then the SIMD selection.
      const at = this.arena.scratch([
        values.length,
        block.length,
        exclude === undefined ? 0 : exclude.offsets.length,
        exclude === undefined ? 0 : exclude.items.length,
        block.length * k,
        block.length * k,
      ]);
      const view = {
        scores: this.arena.f32(at[0]!, values.length),
        users: this.arena.i32(at[1]!, block.length),
        excludeOffsets: exclude === undefined ? undefined : this.arena.i32(at[2]!, exclude.offsets.length),
        excludeItems: exclude === undefined ? undefined : this.arena.i32(at[3]!, exclude.items.length),
        outItems: this.arena.i32(at[4]!, block.length * k),
        outScores: this.arena.f32(at[5]!, block.length * k),
      };
      view.scores.set(values);
      view.users.set(block);
      if (exclude !== undefined) {
        view.excludeOffsets!.set(exclude.offsets);
        view.excludeItems!.set(exclude.items);
      }
      if (selectTopKInArena(this.arena, { ...view, items, stride, k })) {
        outItems.set(view.outItems, start * k);
        outScores.set(view.outScores, start * k);
      } else {
        // Rows are `stride` apart: select from each row's first `items` scores.
        const compact = new Float32Array(block.length * items);
        for (let b = 0; b < block.length; b++) compact.set(values.subarray(b * stride, b * stride + items), b * items);
        selectTopK(compact, block, items, exclude, k, outItems, outScores, start);
      }
    }
    tf.dispose([itemTable, ...(biases === undefined ? [] : [biases])]);
    return { items: outItems, scores: outScores };
  }

  /** A block of users' scores against `itemTable` (`[block.length, rows of the table]`), on the engine. */
  private blockScores(block: Int32Array, itemTable: tf.Tensor2D, biases: tf.Tensor | undefined): tf.Tensor2D {
    return tf.tidy(() => {
      const scores = tf.matMul(
        tf.tensor2d(gatherRows(this.userFactors, block, this.config.dim), [block.length, this.config.dim]),
        itemTable,
        false,
        true,
      );
      return (biases === undefined ? scores : tf.add(scores, biases)) as tf.Tensor2D;
    });
  }

  /**
   * {@link MatrixFactorization.topKOnEngine} in one engine kernel, {@link KdrecScoreTopKExcluding}:
   * the users' rows against every item, scored a few rows at a time and selected in cache.
   */
  private topKByScoringKernel(users: Int32Array, k: number, exclude: UserItems | undefined): TopKLists {
    return this.engineTopK(users, k, exclude, SCORING_KERNEL_BATCH, (block, tables) =>
      scoreTopKExcluding(
        {
          userRows: tf.tensor2d(gatherRows(this.userFactors, block, this.config.dim), [block.length, this.config.dim]),
          itemFactors: tables.itemFactors,
          itemBiases: tables.itemBiases ?? tf.tensor1d([]),
          users: tf.tensor1d(block, "int32"),
          excludedOffsets: tables.excludedOffsets,
          excludedItems: tables.excludedItems,
        },
        k,
      ),
    );
  }

  /** {@link MatrixFactorization.topKOnEngine} with the selection in {@link KdrecTopKExcluding}. */
  private topKByEngineKernel(users: Int32Array, k: number, exclude: UserItems | undefined): TopKLists {
    return this.engineTopK(users, k, exclude, ENGINE_TOP_K_BATCH, (block, tables) =>
      topKExcluding(
        {
          scores: this.blockScores(block, tables.itemFactors, tables.itemBiases),
          users: tf.tensor1d(block, "int32"),
          excludedOffsets: tables.excludedOffsets,
          excludedItems: tables.excludedItems,
        },
        k,
      ),
    );
  }

  /**
   * What both engine kernels' top-K share: the item table, biases and excluded lists on the engine
   * once, then `select` per block of `batch` users (inside tidy), its lists read back, all freed.
   */
  private engineTopK(
    users: Int32Array,
    k: number,
    exclude: UserItems | undefined,
    batch: number,
    select: (
      block: Int32Array,
      tables: EngineTables,
    ) => { readonly values: tf.Tensor2D; readonly indices: tf.Tensor2D },
  ): TopKLists {
    const { dim, items } = this.config;
    const outItems = new Int32Array(users.length * k);
    const outScores = new Float32Array(users.length * k);
    const tables: EngineTables = {
      itemFactors: tf.tensor2d(this.itemFactors, [items, dim]),
      itemBiases: this.itemBiases === undefined ? undefined : tf.tensor1d(this.itemBiases),
      excludedOffsets: tf.tensor1d(exclude?.offsets ?? new Int32Array(0), "int32"),
      excludedItems: tf.tensor1d(exclude?.items ?? new Int32Array(0), "int32"),
    };
    try {
      for (let start = 0; start < users.length; start += batch) {
        const { values, indices } = tf.tidy(() => select(users.subarray(start, start + batch), tables));
        // Read outside tidy: tidy would walk every element of a returned TypedArray.
        outScores.set(values.dataSync() as Float32Array, start * k);
        outItems.set(indices.dataSync() as Int32Array, start * k);
        tf.dispose([values, indices]);
      }
    } finally {
      tf.dispose(Object.values(tables).filter((t): t is tf.Tensor => t !== undefined));
    }
    return { items: outItems, scores: outScores };
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

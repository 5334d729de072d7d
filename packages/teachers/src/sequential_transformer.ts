/**
 * Sequential transformers over a user's item history: SASRec (Kang & McAuley, ICDM 2018; causal
 * attention, the representation read at the last item) and BERT4Rec (Sun et al., CIKM 2019;
 * bidirectional attention, a [mask] token appended and read). Built from `@kdrec/layers`.
 *
 * Training rows are the trainer's (user, item list) rows: each row's input is the user's history
 * *before* the interaction it stands for (its last `maxLength` items), and the model scores the
 * row's items against the representation — next-item prediction, which for BERT4Rec is the cloze
 * objective with the mask on the last position (the position it predicts at inference). Scoring
 * reads the user's whole history (training; training + validation for the test split).
 * @module
 */
import { integerInRange, numberInRange, positiveNumber, seededRandom } from "@kdrec/core";
import { type Interactions, itemsOf, sequencePositions, type UserItems, userSequences } from "@kdrec/data";
import {
  catalogueDotScores,
  initLayerNorm,
  initTransformerBlock,
  type LayerNormParams,
  layerNorm,
  listDotScores,
  normalVariable,
  type TransformerBlockParams,
  transformerBlock,
} from "@kdrec/layers";
import {
  frozenModel,
  type ItemLists,
  type RowItemLists,
  type Teacher,
  VariableModel,
  type VariableModelState,
} from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";
import * as t from "io-ts";
import { sequenceWindows } from "./sequence_windows.js";

/**
 * A sequential transformer's shape and training settings (an io-ts codec).
 * @category Teachers
 */
export const SequentialTransformerConfig = t.intersection(
  [
    t.type({ items: integerInRange(1) }),
    t.partial({
      /** `causal` (SASRec, the default) or `bidirectional` (BERT4Rec). */
      direction: t.keyof({ causal: null, bidirectional: null }),
      /** Width of embeddings and blocks; default 64. Must be divisible by `heads`. */
      hidden: integerInRange(2, 4096),
      /** Transformer blocks; default 2. */
      blocks: integerInRange(1, 64),
      /** Attention heads; default 2. */
      heads: integerInRange(1, 64),
      /** History length read (most recent items); default 50. */
      maxLength: integerInRange(2, 4096),
      /** Dropout rate while training; default 0.2. */
      dropout: numberInRange(0, 0.9),
      /** Adam's learning rate; default 1e-3. */
      learningRate: positiveNumber,
      seed: t.number,
    }),
  ],
  "SequentialTransformerConfig",
);
/**
 * The decoded form of {@link SequentialTransformerConfig}.
 * @category Teachers
 */
export type SequentialTransformerConfig = t.TypeOf<typeof SequentialTransformerConfig>;

interface Params {
  /** `[items + 2, hidden]`: the catalogue, then padding, then [mask]. Shared with the output layer. */
  readonly items: tf.Variable;
  readonly positions: tf.Variable;
  readonly embeddingNorm: LayerNormParams;
  readonly blocks: ReadonlyArray<TransformerBlockParams>;
  readonly outputBias: tf.Variable;
}

/**
 * What the model computes for a batch of histories: the user representation `[B, hidden]` and
 * each block's output at the read position (the features feature alignment reads).
 * @category Teachers
 */
export interface SequenceFeatures {
  readonly user: tf.Tensor2D;
  readonly blocks: ReadonlyArray<tf.Tensor2D>;
}

/**
 * Weights plus the optimizer's state and the step counter (dropout masks follow it).
 * @category Teachers
 */
export type SequentialTransformerState = VariableModelState;

/**
 * A SASRec or BERT4Rec model. It offers the trainer's model interface (`trainStep` on rows with
 * their interaction indices, `allItemScorer`, snapshots), so `fit` trains it like any model.
 * @example
 * ```ts
 * const sasrec = SequentialTransformer.create({ items: 1682, hidden: 64, blocks: 2, heads: 2 }, split.train);
 * const teacher = frozenModel(sasrec, { name: "sasrec", architecture: "sasrec", users: 943, items: 1682 });
 * ```
 * @category Teachers
 */
export class SequentialTransformer extends VariableModel<Params> {
  private readonly histories: UserItems;
  private readonly positions: Int32Array;

  private constructor(
    readonly config: SequentialTransformerConfig,
    params: Params,
    train: Interactions,
  ) {
    super(params, config.learningRate ?? 1e-3);
    this.histories = userSequences(train);
    this.positions = sequencePositions(train);
  }

  /**
   * A model initialised from the config's seed, reading histories from `train` (the interactions
   * whose rows the trainer's batches index). Throws a RangeError when `hidden` is not divisible
   * by `heads` (configs are checked before this, with their path).
   */
  static create(config: SequentialTransformerConfig, train: Interactions): SequentialTransformer {
    const hidden = config.hidden ?? 64;
    const heads = config.heads ?? 2;
    if (hidden % heads !== 0)
      throw new RangeError(`SequentialTransformer: hidden size ${hidden} is not divisible by ${heads} heads`);
    const rng = seededRandom(config.seed ?? 0);
    const maxLength = config.maxLength ?? 50;
    const params: Params = {
      items: normalVariable(rng.split("items"), [config.items + 2, hidden], 0.05),
      positions: normalVariable(rng.split("positions"), [maxLength, hidden], 0.05),
      embeddingNorm: initLayerNorm(hidden),
      blocks: Array.from({ length: config.blocks ?? 2 }, (_, k) =>
        initTransformerBlock(rng.split(`block-${k}`), hidden, 4 * hidden),
      ),
      outputBias: tf.tidy(() => tf.variable(tf.zeros([config.items]), true)),
    };
    return new SequentialTransformer(config, params, train);
  }

  /** Embeddings, blocks and the output bias. */
  get parameterCount(): number {
    return this.variables.size;
  }

  private get maxLength(): number {
    return this.config.maxLength ?? 50;
  }

  private get hidden(): number {
    return this.config.hidden ?? 64;
  }

  /**
   * Right-aligned token rows `[B, maxLength]` (padding = items, [mask] = items + 1) and their
   * validity, from each row's history `histories[u][0 .. end)`.
   */
  private tokens(
    users: Int32Array,
    histories: UserItems,
    ends?: Int32Array,
  ): { tokens: Int32Array; valid: Float32Array } {
    const length = this.maxLength;
    const { items } = this.config;
    const bidirectional = this.config.direction === "bidirectional";
    const room = bidirectional ? length - 1 : length;
    const tokens = new Int32Array(users.length * length).fill(items);
    const valid = new Float32Array(users.length * length);
    for (let b = 0; b < users.length; b++) {
      const history = itemsOf(histories, users[b]!);
      const end = ends === undefined ? history.length : ends[b]!;
      const start = Math.max(0, end - room);
      const offset = b * length + room - (end - start);
      for (let k = start; k < end; k++) {
        tokens[offset + k - start] = history[k]!;
        valid[offset + k - start] = 1;
      }
      if (bidirectional) {
        tokens[b * length + length - 1] = items + 1;
        valid[b * length + length - 1] = 1;
      }
    }
    return { tokens, valid };
  }

  /** The forward pass: every block's output `[rows, maxLength, hidden]`. */
  private encode(
    params: Params,
    tokens: Int32Array,
    valid: Float32Array,
    rows: number,
    training: boolean,
  ): tf.Tensor3D[] {
    const length = this.maxLength;
    const { hidden } = this;
    const heads = this.config.heads ?? 2;
    const mask = tf.tensor2d(valid, [rows, length]);
    const embedded = tf.add(
      tf.reshape(tf.gather(params.items, tf.tensor1d(tokens, "int32")), [rows, length, hidden]),
      params.positions,
    );
    const rate = training ? (this.config.dropout ?? 0.2) : 0;
    let x = layerNorm(embedded, params.embeddingNorm) as tf.Tensor3D;
    if (rate > 0) x = tf.dropout(x, rate, undefined, this.step * 131 + 7) as tf.Tensor3D;
    x = tf.mul(x, tf.expandDims(mask, 2)) as tf.Tensor3D;
    const outputs: tf.Tensor3D[] = [];
    params.blocks.forEach((block, k) => {
      x = transformerBlock(x, mask, block, {
        heads,
        causal: this.config.direction !== "bidirectional",
        dropout: rate,
        seed: this.step * 131 + k,
      });
      outputs.push(x);
    });
    return outputs;
  }

  /** Features read at the last position of each row (inference). */
  private forward(params: Params, tokens: Int32Array, valid: Float32Array, rows: number): SequenceFeatures {
    const length = this.maxLength;
    const { hidden } = this;
    const last = (x: tf.Tensor3D) =>
      tf.reshape(tf.slice(x, [0, length - 1, 0], [rows, 1, hidden]), [rows, hidden]) as tf.Tensor2D;
    const blocks = this.encode(params, tokens, valid, rows, false).map(last);
    return { user: blocks[blocks.length - 1]!, blocks };
  }

  /** Rows of one user come together, so that one window serves many of them. */
  readonly batchOrder = "by-user" as const;

  /**
   * One Adam step on `loss` of the rows' list scores. Needs `batch.rows` (indices into the
   * training interactions given to {@link SequentialTransformer.create}); fastest when each
   * user's rows come together (`batchOrder`).
   */
  trainStep(batch: ItemLists, loss: (scores: tf.Tensor2D) => tf.Scalar): number {
    const { users, items, width, rows } = batch;
    if (rows === undefined)
      throw new RangeError("SequentialTransformer.trainStep: the batch has no rows (the interactions it stands for)");
    this.step += 1;
    return this.optimizer.minimize(() => loss(this.rowScores(this.params, { users, items, width, rows }, true)));
  }

  /**
   * Scores `[B, width]` of rows' lists, each row read from the history before its interaction
   * (the windows of {@link sequenceWindows}).
   */
  private rowScores(params: Params, batch: RowItemLists, training: boolean): tf.Tensor2D {
    const { users, items, width, rows } = batch;
    const ends = new Int32Array(users.length);
    for (let b = 0; b < users.length; b++) ends[b] = this.positions[rows[b]!]!;
    const windows = sequenceWindows(users, ends, this.histories, {
      length: this.maxLength,
      bidirectional: this.config.direction === "bidirectional",
      mask: this.config.items + 1,
    });
    const flatSize = windows.windows * this.maxLength;
    // −1 (no history) reads an appended zero row.
    const readAt = Int32Array.from(windows.readAt, (i) => (i < 0 ? flatSize : i));
    const { hidden } = this;
    const outputs = this.encode(params, windows.tokens, windows.valid, windows.windows, training);
    const flat = tf.concat([tf.reshape(outputs[outputs.length - 1]!, [flatSize, hidden]), tf.zeros([1, hidden])]);
    const user = tf.gather(flat, tf.tensor1d(readAt, "int32")) as tf.Tensor2D;
    return listDotScores(user, params.items, params.outputBias, items, width);
  }

  /**
   * Freezes the model as a teacher whose list scores follow the rows: each row is scored from the
   * history before its interaction (the next-item distribution the student's row should match),
   * from a snapshot of the weights; all-item scores and per-user features come from the whole
   * training history (computed now, see {@link frozenModel}).
   */
  frozenTeacher(options: { readonly name: string; readonly users: number }): Teacher {
    const base = frozenModel(this, {
      name: options.name,
      architecture: this.config.direction === "bidirectional" ? "bert4rec" : "sasrec",
      users: options.users,
      items: this.config.items,
      features: this.featureSource(),
    });
    const snapshot = this.variables.frozenCopy();
    return {
      ...base,
      batchOrder: "by-user",
      scoreLists: (users, items, width, rows) =>
        rows === undefined
          ? base.scoreLists(users, items, width)
          : tf.tidy(() => this.rowScores(snapshot.params, { users, items, width, rows }, false)),
      dispose: () => {
        base.dispose();
        snapshot.dispose();
      },
    };
  }

  /**
   * The user representation and block outputs for `users` from their whole history in
   * `history` (default: the training interactions). Inference mode (no dropout).
   */
  features(users: Int32Array, history?: Interactions): SequenceFeatures {
    const { tokens, valid } = this.tokens(users, history === undefined ? this.histories : userSequences(history));
    const { user, blocks } = tf.tidy(() => {
      const out = this.forward(this.params, tokens, valid, users.length);
      return { user: out.user, blocks: [...out.blocks] };
    });
    return { user, blocks };
  }

  /**
   * The features feature alignment reads, by level: the first block's output (level 1) and the
   * final user representation (level 2), from the training histories.
   */
  featureSource(): { readonly widths: ReadonlyArray<number>; readonly of: (users: Int32Array) => tf.Tensor2D[] } {
    const { hidden } = this;
    return {
      widths: [hidden, hidden],
      of: (users) => {
        const { user, blocks } = this.features(users);
        const first = blocks[0]!;
        tf.dispose(blocks.filter((b) => b !== first && b !== user));
        // With one block the two levels are the same tensor: give each level its own.
        return [first, first === user ? tf.clone(user) : user];
      },
    };
  }

  /**
   * A snapshot scorer of users against every item from their histories in `history` (default:
   * training); for the test split pass the training + validation interactions.
   */
  allItemScorer(history?: Interactions): {
    readonly score: (users: Int32Array) => tf.Tensor2D;
    readonly dispose: () => void;
  } {
    const snapshot = this.variables.frozenCopy();
    const frozen = snapshot.params;
    const source = history === undefined ? this.histories : userSequences(history);
    const { items } = this.config;
    return {
      score: (users) =>
        tf.tidy(() => {
          const { tokens, valid } = this.tokens(users, source);
          const { user } = this.forward(frozen, tokens, valid, users.length);
          return catalogueDotScores(user, frozen.items, frozen.outputBias, items);
        }),
      dispose: snapshot.dispose,
    };
  }
}

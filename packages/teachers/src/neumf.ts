/**
 * NeuMF (He et al., WWW 2017): a generalised MF branch (element-wise product of user and item
 * factors) and an MLP branch (a tower over concatenated user and item embeddings), fused by one
 * output layer into a logit. A teacher architecture: it is trained here (dense Adam on the
 * backend) and then frozen with {@link frozenModel}.
 * @module
 */

import { integerInRange, numberInRange, positiveNumber, seededRandom } from "@kdrec/core";
import { entryUsers } from "@kdrec/data";
import { type ItemLists, VariableModel, type VariableModelState } from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";
import * as t from "io-ts";

/**
 * NeuMF's shape and training settings (an io-ts codec).
 * @category Teachers
 */
export const NeuMFConfig = t.intersection(
  [
    t.type({ users: integerInRange(1), items: integerInRange(1), dim: integerInRange(1, 4096) }),
    t.partial({
      /** Widths of the MLP tower; the first is twice the MLP embedding size. Default [64, 32, 16]. */
      mlpLayers: t.array(integerInRange(2, 4096)),
      /** Standard deviation of the normal initialisation of embeddings; default 0.01 (as the paper). */
      initStd: positiveNumber,
      /** L2 penalty per occurrence of an embedding row in a batch, averaged over rows; default 0. */
      l2: numberInRange(0, 100),
      /** Adam's learning rate; default 1e-3. */
      learningRate: positiveNumber,
      seed: t.number,
    }),
  ],
  "NeuMFConfig",
);
/**
 * The decoded form of {@link NeuMFConfig}.
 * @category Teachers
 */
export type NeuMFConfig = t.TypeOf<typeof NeuMFConfig>;

/**
 * NeuMF's weights, one Float32Array per variable (in a fixed order).
 * @category Teachers
 */
export type NeuMFWeights = ReadonlyArray<Float32Array>;

/**
 * Weights plus the optimizer's state.
 * @category Teachers
 */
export type NeuMFState = VariableModelState;

const glorot = (rng: ReturnType<typeof seededRandom>, rows: number, cols: number): tf.Tensor2D => {
  const limit = Math.sqrt(6 / (rows + cols));
  const values = new Float32Array(rows * cols);
  for (let k = 0; k < values.length; k++) values[k] = (2 * rng.float() - 1) * limit;
  return tf.tensor2d(values, [rows, cols]);
};

const normal = (rng: ReturnType<typeof seededRandom>, rows: number, cols: number, std: number): tf.Tensor2D => {
  const values = new Float32Array(rows * cols);
  for (let k = 0; k < values.length; k++) values[k] = rng.normal() * std;
  return tf.tensor2d(values, [rows, cols]);
};

/**
 * A NeuMF model. It offers the trainer's model interface (`trainStep`, `allItemScorer`,
 * snapshots), so the same loop trains it with any task loss.
 * @example
 * ```ts
 * const neumf = NeuMF.create({ users: 943, items: 1682, dim: 32, mlpLayers: [64, 32, 16], seed: 1 });
 * const teacher = frozenModel(neumf, { name: "neumf", architecture: "neumf", users: 943, items: 1682 });
 * ```
 * @category Teachers
 */
export class NeuMF extends VariableModel<ReadonlyArray<tf.Variable>> {
  private constructor(
    readonly config: NeuMFConfig,
    /** gmfUsers, gmfItems, mlpUsers, mlpItems, then (kernel, bias) per MLP layer, then the output weights. */
    params: ReadonlyArray<tf.Variable>,
  ) {
    super(params, config.learningRate ?? 1e-3);
  }

  /** A model initialised from the config's seed: N(0, initStd²) embeddings, Glorot layers. */
  static create(config: NeuMFConfig): NeuMF {
    const layers = config.mlpLayers ?? [64, 32, 16];
    if (layers[0]! % 2 !== 0) throw new RangeError(`NeuMF: mlpLayers[0] must be even, got ${layers[0]}`);
    const rng = seededRandom(config.seed ?? 0);
    const std = config.initStd ?? 0.01;
    const { users, items, dim } = config;
    const half = layers[0]! / 2;
    const initial = tf.tidy(() => [
      normal(rng.split("gmf-users"), users, dim, std),
      normal(rng.split("gmf-items"), items, dim, std),
      normal(rng.split("mlp-users"), users, half, std),
      normal(rng.split("mlp-items"), items, half, std),
      ...layers
        .slice(1)
        .flatMap((width, k) => [glorot(rng.split(`layer-${k}`), layers[k]!, width), tf.zeros([1, width])]),
      glorot(rng.split("output"), dim + layers[layers.length - 1]!, 1),
    ]);
    const variables = initial.map((x) => tf.variable(x, true));
    tf.dispose(initial);
    return new NeuMF(config, variables);
  }

  /** Embeddings plus MLP and output weights. */
  get parameterCount(): number {
    return this.variables.size;
  }

  /** Logits `[P]` of pairs given their gathered embeddings. */
  private logits(gmfU: tf.Tensor2D, gmfI: tf.Tensor2D, mlpU: tf.Tensor2D, mlpI: tf.Tensor2D): tf.Tensor1D {
    const [, , , , ...rest] = this.params;
    const output = rest[rest.length - 1]!;
    let hidden: tf.Tensor2D = tf.concat([mlpU, mlpI], 1);
    for (let k = 0; k + 1 < rest.length; k += 2) {
      hidden = tf.relu(tf.add(tf.matMul(hidden, rest[k] as tf.Tensor2D), rest[k + 1]!)) as tf.Tensor2D;
    }
    const fused = tf.concat([tf.mul(gmfU, gmfI), hidden], 1);
    return tf.reshape(tf.matMul(fused, output as tf.Tensor2D), [-1]);
  }

  /** Scores `[B, width]` of a batch's item lists (differentiable with respect to the variables). */
  private listLogits(users: Int32Array, items: Int32Array, width: number): { scores: tf.Tensor2D; penalty: tf.Scalar } {
    const [gmfUsers, gmfItems, mlpUsers, mlpItems] = this.params as tf.Variable[];
    const u = tf.tensor1d(entryUsers(users, width), "int32");
    const i = tf.tensor1d(items, "int32");
    const embeddings = [
      tf.gather(gmfUsers!, u),
      tf.gather(gmfItems!, i),
      tf.gather(mlpUsers!, u),
      tf.gather(mlpItems!, i),
    ] as tf.Tensor2D[];
    const [gu, gi, mu, mi] = embeddings as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const scores = tf.reshape(this.logits(gu, gi, mu, mi), [users.length, width]) as tf.Tensor2D;
    // Per occurrence, like MF's L2 (user rows repeat per entry here, so they are weighted by 1/width).
    const l2 = this.config.l2 ?? 0;
    const penalty = tf.mul(
      tf.add(
        tf.div(tf.add(tf.sum(tf.square(gu)), tf.sum(tf.square(mu))), width),
        tf.add(tf.sum(tf.square(gi)), tf.sum(tf.square(mi))),
      ),
      l2 / users.length,
    ) as tf.Scalar;
    return { scores, penalty };
  }

  /** One Adam step on `loss` of the batch's list scores (plus the L2 penalty); returns the loss. */
  trainStep(batch: ItemLists, loss: (scores: tf.Tensor2D) => tf.Scalar): number {
    let taskLoss = 0;
    let read: tf.Scalar | undefined;
    this.optimizer.minimize(() => {
      const { scores, penalty } = this.listLogits(batch.users, batch.items, batch.width);
      const value = loss(scores);
      read = tf.keep(tf.clone(value));
      return tf.add(value, penalty) as tf.Scalar;
    });
    taskLoss = read!.dataSync()[0]!;
    read!.dispose();
    return taskLoss;
  }

  /**
   * Scores users against every item: GMF as one product, the MLP's first layer split into a user
   * half and an item half (computed once per call), so only the deeper layers run per pair.
   */
  allItemScorer(): { readonly score: (users: Int32Array) => tf.Tensor2D; readonly dispose: () => void } {
    const [gmfUsers, gmfItems, mlpUsers, mlpItems, ...rest] = this.params as tf.Variable[];
    const { items, dim } = this.config;
    const output = rest[rest.length - 1]!;
    const layers = rest.slice(0, -1);
    const half = (this.config.mlpLayers ?? [64, 32, 16])[0]! / 2;
    // Snapshots of the weights, so that training after this call does not change the scorer.
    const frozen = tf.tidy(() => {
      const gmfOut = tf.slice(output, [0, 0], [dim, 1]);
      const first = layers[0] as tf.Tensor2D | undefined;
      return {
        gmfUsers: tf.clone(gmfUsers!),
        gmfItemsWeighted: tf.transpose(tf.mul(gmfItems!, tf.reshape(gmfOut, [1, dim]))),
        mlpUsers: tf.clone(mlpUsers!),
        itemPart:
          first === undefined
            ? tf.clone(mlpItems!)
            : tf.add(tf.matMul(mlpItems!, tf.slice(first, [half, 0], [half, -1])), layers[1]!),
        userKernel: first === undefined ? undefined : tf.slice(first, [0, 0], [half, -1]),
        deeper: layers.slice(2).map((x) => tf.clone(x)),
        mlpOut: tf.slice(output, [dim, 0], [-1, 1]),
      };
    });
    const score = (users: Int32Array): tf.Tensor2D =>
      tf.tidy(() => {
        const u = tf.tensor1d(users, "int32");
        const gmf = tf.matMul(tf.gather(frozen.gmfUsers, u), frozen.gmfItemsWeighted);
        const mu = tf.gather(frozen.mlpUsers, u);
        let hidden: tf.Tensor;
        if (frozen.userKernel === undefined) {
          // No hidden layer: the MLP branch is the concatenation itself.
          const out = frozen.mlpOut as tf.Tensor2D;
          const userPart = tf.matMul(mu, tf.slice(out, [0, 0], [half, 1]));
          const itemPart = tf.reshape(tf.matMul(frozen.itemPart as tf.Tensor2D, tf.slice(out, [half, 0], [half, 1])), [
            1,
            items,
          ]);
          return tf.add(gmf, tf.add(userPart, itemPart)) as tf.Tensor2D;
        }
        const userPart = tf.matMul(mu, frozen.userKernel as tf.Tensor2D); // [B, L1]
        hidden = tf.relu(tf.add(tf.expandDims(userPart, 1), tf.expandDims(frozen.itemPart, 0))); // [B, items, L1]
        hidden = tf.reshape(hidden, [users.length * items, -1]);
        for (let k = 0; k < frozen.deeper.length; k += 2) {
          hidden = tf.relu(
            tf.add(tf.matMul(hidden as tf.Tensor2D, frozen.deeper[k] as tf.Tensor2D), frozen.deeper[k + 1]!),
          );
        }
        const mlp = tf.reshape(tf.matMul(hidden as tf.Tensor2D, frozen.mlpOut as tf.Tensor2D), [users.length, items]);
        return tf.add(gmf, mlp) as tf.Tensor2D;
      });
    const all = [
      frozen.gmfUsers,
      frozen.gmfItemsWeighted,
      frozen.mlpUsers,
      frozen.itemPart,
      frozen.mlpOut,
      ...frozen.deeper,
      ...(frozen.userKernel === undefined ? [] : [frozen.userKernel]),
    ];
    return { score, dispose: () => tf.dispose(all) };
  }

  /** Every variable with a descriptive name and its shape (for saving in the TF.js weights format). */
  override namedWeights(): Array<{ name: string; shape: number[]; values: Float32Array }> {
    const names = ["gmf_users", "gmf_items", "mlp_users", "mlp_items"];
    return this.params.map((x, k) => ({
      name:
        names[k] ??
        (k === this.params.length - 1
          ? "output"
          : `mlp_layer_${Math.floor((k - 4) / 2)}_${(k - 4) % 2 === 0 ? "kernel" : "bias"}`),
      shape: [...x.shape],
      values: (x.dataSync() as Float32Array).slice(),
    }));
  }
}

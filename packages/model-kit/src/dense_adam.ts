/**
 * Adam over TF.js variables (dense: every value of every variable, every step), for models whose
 * parameters are mostly dense layers (NeuMF's MLP, attention blocks). Unlike `tf.train.adam` its
 * state can be read and restored synchronously, which checkpoints with exact resume need.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * Adam's hyper-parameters.
 * @category Optimizers
 */
export interface DenseAdamConfig {
  readonly learningRate: number;
  /** Default 0.9. */
  readonly beta1?: number;
  /** Default 0.999. */
  readonly beta2?: number;
  /** Default 1e-8. */
  readonly epsilon?: number;
}

/**
 * The optimizer's state as plain arrays: moments per variable (in the variables' order) and the step.
 * @category Optimizers
 */
export interface DenseAdamState {
  readonly step: number;
  readonly m: ReadonlyArray<Float32Array>;
  readonly v: ReadonlyArray<Float32Array>;
}

/**
 * Adam bound to a fixed list of variables.
 * @category Optimizers
 */
export interface DenseAdam {
  /** Minimises `loss` (a function of the variables) by one step; returns the loss value. */
  minimize(loss: () => tf.Scalar): number;
  /**
   * One step from gradients computed elsewhere (in the variables' order; `undefined` or `null`:
   * the variable stays as it is). The caller keeps and disposes the gradients.
   */
  apply(gradients: ReadonlyArray<tf.Tensor | null | undefined>): void;
  /** Updates only the variables whose flag is true from the next step on (all when `undefined`). */
  trainOnly(mask: ReadonlyArray<boolean> | undefined): void;
  state(): DenseAdamState;
  load(state: DenseAdamState): void;
  dispose(): void;
}

/**
 * Creates Adam for `variables` (moments start at zero).
 * @example
 * ```ts
 * const w = tf.variable(tf.zeros([3]));
 * const adam = denseAdam([w], { learningRate: 0.1 });
 * adam.minimize(() => tf.sum(tf.square(tf.sub(w, 1))));
 * ```
 * @category Optimizers
 */
export const denseAdam = (variables: ReadonlyArray<tf.Variable>, config: DenseAdamConfig): DenseAdam => {
  const beta1 = config.beta1 ?? 0.9;
  const beta2 = config.beta2 ?? 0.999;
  const epsilon = config.epsilon ?? 1e-8;
  // Inside tidy the zeros go; the variables stay (tidy never disposes variables).
  const m = tf.tidy(() => variables.map((x) => tf.variable(tf.zerosLike(x), false)));
  const v = tf.tidy(() => variables.map((x) => tf.variable(tf.zerosLike(x), false)));
  let step = 0;
  let trained: ReadonlyArray<boolean> | undefined;
  /** One Adam step of every variable that has a gradient (called inside a tidy). */
  const update = (gradients: ReadonlyArray<tf.Tensor | null | undefined>) => {
    step += 1;
    const lr = (config.learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
    variables.forEach((x, k) => {
      const g = gradients[k];
      // A variable the loss does not read (an alignment head while fine-tuning) stays as it is.
      if (g === undefined || g === null) return;
      const mk = tf.add(tf.mul(m[k]!, beta1), tf.mul(g, 1 - beta1));
      const vk = tf.add(tf.mul(v[k]!, beta2), tf.mul(tf.square(g), 1 - beta2));
      m[k]!.assign(mk);
      v[k]!.assign(vk);
      x.assign(tf.sub(x, tf.div(tf.mul(mk, lr), tf.add(tf.sqrt(vk), epsilon))));
    });
  };
  return {
    trainOnly: (mask) => {
      trained = mask;
    },
    minimize: (loss) => {
      // Frozen variables are left out of the gradient as well as the update.
      const active = trained === undefined ? variables : variables.filter((_, k) => trained![k]);
      const value = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(loss, active as tf.Variable[]);
        update(variables.map((x) => grads[x.name]));
        return value;
      });
      const out = value.dataSync()[0]!;
      value.dispose();
      return out;
    },
    apply: (gradients) => {
      tf.tidy(() => update(gradients.map((g, k) => (trained === undefined || trained[k] ? g : undefined))));
    },
    state: () => ({
      step,
      // Copies: the cpu backend hands out its own buffers.
      m: m.map((x) => (x.dataSync() as Float32Array).slice()),
      v: v.map((x) => (x.dataSync() as Float32Array).slice()),
    }),
    load: (state) => {
      step = state.step;
      tf.tidy(() => {
        state.m.forEach((values, k) => {
          m[k]!.assign(tf.tensor(values.slice(), m[k]!.shape));
        });
        state.v.forEach((values, k) => {
          v[k]!.assign(tf.tensor(values.slice(), v[k]!.shape));
        });
      });
    },
    dispose: () => tf.dispose([...m, ...v]),
  };
};

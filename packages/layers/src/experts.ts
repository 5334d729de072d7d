/**
 * Distillation experts (Kang et al., CIKM 2020): `K` small two-layer networks that each map a
 * student's vector into the teacher's space, and a gate that reads the teacher's vector and says
 * which expert should map each entity. Used only while distilling; the student drops them.
 * @module
 */
import type { Random } from "@kdrec/core";
import * as tf from "@tensorflow/tfjs-core";
import { type DenseParams, dense } from "./dense.js";
import { initDense } from "./init.js";

/**
 * `K` dense layers side by side: kernels `[K, in, out]`, biases `[K, 1, out]`.
 * @category Layers
 */
export interface StackedDenseParams {
  readonly kernel: tf.Tensor3D;
  readonly bias: tf.Tensor3D;
}

/**
 * The experts' parameters: each a dense layer to a hidden width, ReLU, a dense layer to the
 * teacher's width (stacked, so all experts run as one batched product); and the gate, a dense
 * layer from the teacher's width to `K` logits.
 * @category Layers
 */
export interface ExpertsParams {
  readonly hidden: StackedDenseParams;
  readonly output: StackedDenseParams;
  readonly gate: DenseParams;
}

/** `count` Glorot-uniform kernels `[count, inputs, outputs]` and zero biases. */
const initStacked = (rng: Random, count: number, inputs: number, outputs: number): StackedDenseParams => {
  const limit = Math.sqrt(6 / (inputs + outputs));
  const kernel = new Float32Array(count * inputs * outputs);
  for (let k = 0; k < kernel.length; k++) kernel[k] = (2 * rng.float() - 1) * limit;
  return {
    kernel: tf.tidy(() => tf.variable(tf.tensor3d(kernel, [count, inputs, outputs]), true)) as tf.Variable<tf.Rank.R3>,
    bias: tf.tidy(() => tf.variable(tf.zeros([count, 1, outputs]), true)) as tf.Variable<tf.Rank.R3>,
  };
};

/**
 * `count` experts from width `from` (the student's) to `to` (the teacher's), through a hidden
 * width of (from + to) / 2 as in the paper, and their gate (Glorot-uniform kernels, zero biases).
 * @category Initialisers
 */
export const initExperts = (rng: Random, count: number, from: number, to: number): ExpertsParams => {
  const hidden = Math.max(1, Math.floor((from + to) / 2));
  return {
    hidden: initStacked(rng.split("hidden"), count, from, hidden),
    output: initStacked(rng.split("output"), count, hidden, to),
    gate: initDense(rng.split("gate"), to, count),
  };
};

/**
 * Every expert's map of `student` `[n, from]`: `[K, n, to]`.
 * @example
 * ```ts
 * const outputs = expertOutputs(params, studentRows); // [K, n, teacher width]
 * ```
 * @category Layers
 */
export const expertOutputs = (params: ExpertsParams, student: tf.Tensor2D): tf.Tensor3D =>
  tf.tidy(() => {
    const count = params.hidden.kernel.shape[0];
    const inputs = tf.tile(tf.expandDims(student, 0), [count, 1, 1]) as tf.Tensor3D;
    const hidden = tf.relu(tf.add(tf.matMul(inputs, params.hidden.kernel), params.hidden.bias)) as tf.Tensor3D;
    return tf.add(tf.matMul(hidden, params.output.kernel), params.output.bias) as tf.Tensor3D;
  });

/**
 * The gate's distribution over the experts for each entity's teacher vector `[n, to]`: `[n, K]`.
 * @category Layers
 */
export const expertGate = (params: ExpertsParams, teacher: tf.Tensor2D): tf.Tensor2D =>
  tf.tidy(() => tf.softmax(dense(teacher, params.gate)) as tf.Tensor2D);

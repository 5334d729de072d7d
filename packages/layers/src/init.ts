/**
 * Trainable parameters for the layers: seeded initialisers that create TF.js variables, and a
 * walk that lists every variable of a parameter record (for optimizers and checkpoints).
 * @module
 */
import type { Random } from "@kdrec/core";
import * as tf from "@tensorflow/tfjs-core";
import type { AttentionPoolingParams } from "./attention_pooling.js";
import type { DenseParams } from "./dense.js";
import type { LayerNormParams } from "./layer_norm.js";
import type { TransformerBlockParams } from "./transformer_block.js";

const variableFrom = (values: Float32Array, shape: number[]): tf.Variable =>
  tf.tidy(() => tf.variable(tf.tensor(values, shape), true));

/**
 * A `[rows, cols]` variable drawn from N(0, std²).
 * @category Initialisers
 */
export const normalVariable = (rng: Random, shape: [number, number] | [number], std: number): tf.Variable => {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let k = 0; k < values.length; k++) values[k] = rng.normal() * std;
  return variableFrom(values, shape);
};

/**
 * A dense layer with a Glorot-uniform kernel and a zero bias.
 * @category Initialisers
 */
export const initDense = (rng: Random, inputs: number, outputs: number): DenseParams => {
  const limit = Math.sqrt(6 / (inputs + outputs));
  const kernel = new Float32Array(inputs * outputs);
  for (let k = 0; k < kernel.length; k++) kernel[k] = (2 * rng.float() - 1) * limit;
  return {
    kernel: variableFrom(kernel, [inputs, outputs]) as tf.Variable<tf.Rank.R2>,
    bias: variableFrom(new Float32Array(outputs), [outputs]) as tf.Variable<tf.Rank.R1>,
  };
};

/**
 * A layer norm with scale 1 and shift 0.
 * @category Initialisers
 */
export const initLayerNorm = (hidden: number): LayerNormParams => ({
  gamma: variableFrom(new Float32Array(hidden).fill(1), [hidden]) as tf.Variable<tf.Rank.R1>,
  beta: variableFrom(new Float32Array(hidden), [hidden]) as tf.Variable<tf.Rank.R1>,
});

/**
 * A transformer block of width `hidden` with a feed-forward of width `inner` (BERT: 4 × hidden).
 * @category Initialisers
 */
export const initTransformerBlock = (rng: Random, hidden: number, inner: number): TransformerBlockParams => ({
  attention: {
    query: initDense(rng.split("query"), hidden, hidden),
    key: initDense(rng.split("key"), hidden, hidden),
    value: initDense(rng.split("value"), hidden, hidden),
    output: initDense(rng.split("output"), hidden, hidden),
  },
  attentionNorm: initLayerNorm(hidden),
  feedForward: {
    inner: initDense(rng.split("inner"), hidden, inner),
    outer: initDense(rng.split("outer"), inner, hidden),
  },
  feedForwardNorm: initLayerNorm(hidden),
});

/**
 * An attention pooling of `hidden`-wide elements through an `attention`-wide key space.
 * @category Initialisers
 */
export const initAttentionPooling = (rng: Random, hidden: number, attention: number): AttentionPoolingParams => ({
  key: initDense(rng.split("key"), hidden, attention),
  query: normalVariable(rng.split("query"), [attention], 1 / Math.sqrt(attention)) as tf.Variable<tf.Rank.R1>,
});

/**
 * Every variable in a parameter record with its path (`blocks.0.attention.query.kernel`), objects
 * and arrays walked in key order, each variable once.
 * @category Initialisers
 */
export const namedVariablesOf = (params: unknown): Array<[string, tf.Variable]> => {
  const out: Array<[string, tf.Variable]> = [];
  const seen = new Set<tf.Variable>();
  const walk = (node: unknown, path: string): void => {
    if (node instanceof tf.Variable) {
      if (!seen.has(node)) {
        seen.add(node);
        out.push([path, node]);
      }
    } else if (Array.isArray(node)) {
      for (const [k, child] of node.entries()) walk(child, path === "" ? String(k) : `${path}.${k}`);
    } else if (node !== null && typeof node === "object" && !(node instanceof tf.Tensor))
      for (const key of Object.keys(node))
        walk((node as Record<string, unknown>)[key], path === "" ? key : `${path}.${key}`);
  };
  walk(params, "");
  return out;
};

/**
 * Every variable in a parameter record (see {@link namedVariablesOf}).
 * @category Initialisers
 */
export const variablesOf = (params: unknown): tf.Variable[] => namedVariablesOf(params).map(([, v]) => v);

// Each op against a case worked out by hand (the arithmetic is in the comments), on every backend.
import { seededRandom } from "@kdrec/core";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import { expect, it } from "vitest";
import { attentionPooling } from "./attention_pooling.js";
import { dense } from "./dense.js";
import { catalogueDotScores, listDotScores } from "./dot_scores.js";
import { expertGate, expertOutputs, initExperts } from "./experts.js";
import { gelu } from "./gelu.js";
import { initTransformerBlock, variablesOf } from "./init.js";
import { layerNorm } from "./layer_norm.js";
import { multiHeadSelfAttention } from "./multi_head_attention.js";
import { transformerBlock } from "./transformer_block.js";
import { variableSet } from "./variable_set.js";

const close = (xs: ArrayLike<number>, digits = 4) => Array.from(xs, (x) => expect.closeTo(x, digits));
const values = (t: tf.Tensor) => {
  const out = Array.from(t.dataSync());
  t.dispose();
  return out;
};
const identity = (n: number) => ({ kernel: tf.eye(n) as tf.Tensor2D, bias: tf.zeros([n]) as tf.Tensor1D });

describeEachBackend("layers", () => {
  it("layerNorm: [1, 2, 3] has mean 2 and variance 2/3, so it normalises to ±1.2247 around 0", () => {
    const x = tf.tensor2d([[1, 2, 3]]);
    expect(values(layerNorm(x, { gamma: tf.ones([3]), beta: tf.zeros([3]) }))).toEqual(close([-1.2247, 0, 1.2247]));
    // scale 2 on the first feature, shift 1 on the second
    expect(values(layerNorm(x, { gamma: tf.tensor1d([2, 1, 1]), beta: tf.tensor1d([0, 1, 0]) }))).toEqual(
      close([-2.4495, 1, 1.2247]),
    );
  });

  it("experts: expert k is relu(x·W1[k] + b1[k])·W2[k] + b2[k], all in one batched product; the gate is a softmax", () => {
    const params = initExperts(seededRandom(3), 3, 2, 4);
    tf.tidy(() => {
      const x = tf.tensor2d([
        [1, -2],
        [0.5, 3],
      ]);
      const outputs = expertOutputs(params, x);
      expect(outputs.shape).toEqual([3, 2, 4]);
      for (let k = 0; k < 3; k++) {
        const slice = (t: tf.Tensor) => tf.squeeze(tf.slice(t, [k, 0, 0], [1, -1, -1]), [0]) as tf.Tensor2D;
        const hidden = tf.relu(tf.add(tf.matMul(x, slice(params.hidden.kernel)), slice(params.hidden.bias)));
        const expected = tf.add(
          tf.matMul(hidden as tf.Tensor2D, slice(params.output.kernel)),
          slice(params.output.bias),
        );
        const got = tf.squeeze(tf.slice(outputs, [k, 0, 0], [1, -1, -1]), [0]);
        expect(Array.from(got.dataSync())).toEqual(Array.from(expected.dataSync(), (v) => expect.closeTo(v, 5)));
      }
      const gate = expertGate(params, tf.tensor2d([[1, 0, 0, 2]])).arraySync();
      expect(gate[0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    });
    tf.dispose(variablesOf(params));
  });

  it("gelu: x·Φ(x) at 0, ±1 and 2", () => {
    // Φ(1) = 0.841345, Φ(−1) = 0.158655, Φ(2) = 0.977250
    expect(values(gelu(tf.tensor1d([0, 1, -1, 2])))).toEqual(close([0, 0.841345, -0.158655, 1.9545]));
  });

  it("dense maps the last axis of a rank-3 tensor", () => {
    const x = tf.tensor3d([[[1, 2]], [[3, 4]]]);
    const y = dense(x, {
      kernel: tf.tensor2d([
        [1, 0, 1],
        [0, 1, 1],
      ]),
      bias: tf.tensor1d([0, 0, 10]),
    });
    expect(y.shape).toEqual([2, 1, 3]);
    expect(values(y)).toEqual([1, 2, 13, 3, 4, 17]);
  });

  // Identity projections: queries, keys and values are the inputs themselves. (Made in the tests:
  // the backend is chosen before each suite runs, not when it is declared.)
  const fixtures = () => ({
    params: { query: identity(2), key: identity(2), value: identity(2), output: identity(2) },
    x: tf.tensor3d([
      [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
    ]),
    valid: tf.tensor2d([[1, 1, 0]]),
  });

  it("multiHeadSelfAttention, one head: softmax(q·k/√2) over the valid positions", () => {
    const { params, x, valid } = fixtures();
    // row 0: logits [1/√2, 0] → weights [0.66976, 0.33024] → 0.66976·[1,0] + 0.33024·[0,1]
    // row 1: the mirror image; row 2 (padding) still attends to the valid positions, equally
    const out = values(multiHeadSelfAttention(x, valid, params, { heads: 1 }));
    expect(out).toEqual(close([0.66976, 0.33024, 0.33024, 0.66976, 0.5, 0.5]));
    // causal: row 0 sees only itself
    const causal = values(multiHeadSelfAttention(x, valid, params, { heads: 1, causal: true }));
    expect(causal.slice(0, 4)).toEqual(close([1, 0, 0.33024, 0.66976]));
  });

  it("multiHeadSelfAttention, two heads of size 1: each feature attends on its own", () => {
    const { params, x, valid } = fixtures();
    // head 0 (feature 0 = [1, 0, ·]): row 0 logits [1, 0] → [0.73106, 0.26894] → 0.73106
    // head 1 (feature 1 = [0, 1, ·]): row 0 logits [0, 0] → [0.5, 0.5] → 0.5
    const out = values(multiHeadSelfAttention(x, valid, params, { heads: 2 }));
    expect(out.slice(0, 2)).toEqual(close([0.73106, 0.5]));
    expect(() => multiHeadSelfAttention(x, valid, params, { heads: 3 })).toThrow(/not divisible by 3 heads/);
  });

  it("transformerBlock: with silent sub-layers it is a layer norm, and padded positions come out zero", () => {
    const rng = seededRandom(1);
    const block = initTransformerBlock(rng, 2, 8);
    // Zero output projections: both residual branches add nothing.
    block.attention.output.kernel.dispose();
    const silent = {
      ...block,
      attention: {
        ...block.attention,
        output: { kernel: tf.zeros([2, 2]) as tf.Tensor2D, bias: tf.zeros([2]) as tf.Tensor1D },
      },
      feedForward: {
        ...block.feedForward,
        outer: { kernel: tf.zeros([8, 2]) as tf.Tensor2D, bias: tf.zeros([2]) as tf.Tensor1D },
      },
    };
    // [1, 3] → mean 2, variance 1 → [−1, 1]; [2, 2] → [0, 0]; the padded row → 0
    const y = transformerBlock(
      tf.tensor3d([
        [
          [1, 3],
          [2, 2],
          [7, 9],
        ],
      ]),
      tf.tensor2d([[1, 1, 0]]),
      silent,
      { heads: 1 },
    );
    expect(values(y)).toEqual(close([-1, 1, 0, 0, 0, 0]));
    expect(variablesOf(block)).toHaveLength(16);
    tf.dispose(variablesOf(block));
  });

  it("attentionPooling: softmax(tanh(x)·query) over the valid elements; an empty set pools to zeros", () => {
    // logits tanh([1, 0])·[1, 0] = 0.76159 and 0 → weights [0.68170, 0.31830]
    const pool = { key: identity(2), query: tf.tensor1d([1, 0]) };
    const { pooled, weights } = attentionPooling(
      tf.tensor3d([
        [
          [1, 0],
          [0, 1],
          [5, 5],
        ],
        [
          [1, 1],
          [2, 2],
          [3, 3],
        ],
      ]),
      tf.tensor2d([
        [1, 1, 0],
        [0, 0, 0],
      ]),
      pool,
    );
    expect(values(weights)).toEqual(close([0.6817, 0.3183, 0, 0, 0, 0]));
    expect(values(pooled)).toEqual(close([0.6817, 0.3183, 0, 0]));
  });

  it("dot scores: each row's user against its list, or against the catalogue (extra table rows ignored)", () => {
    // table rows: items 0, 1, 2, then a padding row; users [1, 0] and [0, 2]
    const table = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
      [9, 9],
    ]);
    const bias = tf.tensor1d([0.5, 0, -1]);
    const users = tf.tensor2d([
      [1, 0],
      [0, 2],
    ]);
    expect(values(listDotScores(users, table, bias, Int32Array.of(2, 0, 1, 1), 2))).toEqual([4, 1.5, 8, 8]);
    expect(values(catalogueDotScores(users, table, bias, 3))).toEqual([1.5, 3, 4, 4.5, 8, 11]);
  });

  it("the ops leave no tensor behind", () => {
    const { params, x, valid } = fixtures();
    const before = tf.memory().numTensors;
    values(multiHeadSelfAttention(x, valid, params, { heads: 2, causal: true }));
    const { pooled, weights } = attentionPooling(x, valid, { key: identity(2), query: tf.tensor1d([1, 0]) });
    tf.dispose([pooled, weights]);
    // the two identity tensors and the query made by this test
    expect(tf.memory().numTensors).toBe(before + 3);
  });
});

describeEachBackend("variableSet", () => {
  it("copies out and back in, names every variable, and freezes a copy that later training leaves alone", () => {
    const params = { a: tf.variable(tf.tensor1d([1, 2])), nested: [{ b: tf.variable(tf.tensor2d([[3]])) }] };
    const set = variableSet(params);
    expect(set.size).toBe(3);
    expect(set.namedWeights().map((w) => [w.name, w.shape])).toEqual([
      ["a", [2]],
      ["nested.0.b", [1, 1]],
    ]);
    const saved = set.snapshot();
    const frozen = set.frozenCopy();
    params.a.assign(tf.tensor1d([9, 9]));
    expect(Array.from(frozen.params.a.dataSync())).toEqual([1, 2]);
    set.restore(saved);
    expect(Array.from(params.a.dataSync())).toEqual([1, 2]);
    const before = tf.memory().numTensors;
    frozen.dispose();
    set.dispose();
    expect(tf.memory().numTensors).toBe(before - 4);
  });
});

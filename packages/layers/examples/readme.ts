import { initEngine, seededRandom } from "@kdrec/core";
import {
  attentionPooling,
  initAttentionPooling,
  initTransformerBlock,
  transformerBlock,
  variablesOf,
} from "@kdrec/layers";
import * as tf from "@tensorflow/tfjs-core";

await initEngine()();
const rng = seededRandom(1);

// Two histories of 4 items, embedded in 8 dimensions; the first has one padded position.
const x = tf.randomNormal([2, 4, 8], 0, 1, "float32", 7) as tf.Tensor3D;
const valid = tf.tensor2d([
  [0, 1, 1, 1],
  [1, 1, 1, 1],
]);

// A causal transformer block (SASRec-style), 2 heads: each position sees itself and the past.
const block = initTransformerBlock(rng.split("block"), 8, 32);
const h = transformerBlock(x, valid, block, { heads: 2, causal: true });
console.log(`block output ${h.shape.join("x")}, ${variablesOf(block).length} variables`);

// Attention pooling summarises each history into one vector.
const pooling = initAttentionPooling(rng.split("pool"), 8, 4);
const { pooled, weights } = attentionPooling(h, valid, pooling);
console.log(`pooled ${pooled.shape.join("x")}; the padded position's weight: ${weights.dataSync()[0]}`);
tf.dispose([x, valid, h, pooled, weights, ...variablesOf(block), ...variablesOf(pooling)]);

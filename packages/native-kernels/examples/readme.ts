import { heldOutRanks, initEngine, topKExcluding } from "@kdrec/core";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";

// In Node, initEngine loads this package's kernels with native TensorFlow (when built).
const engine = await initEngine({ backend: "tensorflow" })();
if (E.isLeft(engine)) throw new Error(engine.left.message);
console.log(`kernels: ${engine.right.kernels.join(", ")}`); // KdrecHeldOutRanks, KdrecTopKExcluding, KdrecScoreTopKExcluding, listBatches, bprBatches

// Two users' scores over five items; user 0 has seen item 1, user 1 has seen item 4.
const scores = tf.tensor2d([
  [0.9, 0.8, 0.1, 0.5, 0.5],
  [0.2, 0.4, 0.4, 0.0, 0.9],
]);
const excludedOffsets = tf.tensor1d([0, 1, 2], "int32");
const excludedItems = tf.tensor1d([1, 4], "int32");

const { values, indices } = topKExcluding(
  { scores, users: tf.tensor1d([0, 1], "int32"), excludedOffsets, excludedItems },
  2,
);
console.log(JSON.stringify(await indices.array())); // [[0,3],[1,2]]: seen items left out, ties to the lower index

// Held-out item 3 for user 0 and item 2 for user 1: how many candidates score at least as high.
const ranks = heldOutRanks(
  {
    scores,
    targetRows: tf.tensor1d([0, 1], "int32"),
    targetItems: tf.tensor1d([3, 2], "int32"),
    excludedOffsets,
    excludedItems,
  },
  false,
);
console.log(JSON.stringify(await ranks.array())); // [2,1]: ties count against the held-out item
tf.dispose([scores, excludedOffsets, excludedItems, values, indices, ranks]);

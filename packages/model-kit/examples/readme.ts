import { initEngine } from "@kdrec/core";
import { frozenModel, matchWeights, type ScoringModel } from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";

await initEngine()();

// Anything with a parameter count and an all-item scorer can be frozen into a Teacher.
const table = tf.tensor2d([
  [3, 1, 2],
  [0, 5, 1],
]);
const model: ScoringModel = {
  parameterCount: 6,
  allItemScorer: () => ({ score: (users) => tf.gather(table, tf.tensor1d(users, "int32")), dispose: () => undefined }),
};
const teacher = frozenModel(model, { name: "table", architecture: "example", users: 2, items: 3 });
const lists = teacher.scoreLists(Int32Array.of(0, 1), Int32Array.of(0, 2, 1, 0), 2);
console.log(`list scores ${Array.from(lists.dataSync()).join(" ")}`);

// Saved weights are checked by name and shape before a model takes them back.
const saved = [{ name: "table", shape: [2, 3], values: new Float32Array(6) }];
console.log(E.isLeft(matchWeights(saved, [{ name: "table", shape: [3, 2] }], "model.json")) ? "refused" : "taken");
tf.dispose([lists, table]);
teacher.dispose();

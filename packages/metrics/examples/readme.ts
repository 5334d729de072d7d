import { formatKdrecError, initEngine } from "@kdrec/core";
import { itemPopularity, leaveLastOut, numItems, syntheticDataset } from "@kdrec/data";
import { evaluateFullRanking, pairedTTest } from "@kdrec/metrics";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";

const engine = await initEngine()();
if (E.isLeft(engine)) throw new Error(formatKdrecError(engine.left));

const split = leaveLastOut(syntheticDataset({ seed: 7, users: 300, items: 500 }).interactions);
const items = numItems(split.train);

// Two scorers: MostPop (training popularity) and a seeded random one. A scorer maps a batch of
// users to a [users, items] score tensor; the evaluation masks each user's training items.
const popularity = tf.tensor2d(Float32Array.from(itemPopularity(split.train.items, items)), [1, items]);
const mostPop = (users: Int32Array) => tf.tile(popularity, [users.length, 1]) as tf.Tensor2D;
const random = (users: Int32Array) => tf.randomUniform([users.length, items], 0, 1, "float32", users[0]) as tf.Tensor2D;

const options = { heldOut: split.test, exclude: [split.train, split.valid], ks: [10, 20] };
const popular = await evaluateFullRanking(mostPop, options);
const chance = await evaluateFullRanking(random, options);
if (E.isLeft(popular) || E.isLeft(chance)) throw new Error("evaluation failed");

const ndcg = popular.right.summary["ndcg@10"]!;
console.log(`MostPop NDCG@10 ${ndcg.mean.toFixed(4)} (95% CI ${ndcg.ci95.map((x) => x.toFixed(4)).join(" to ")})`);
const test = pairedTTest(popular.right.perUser["ndcg@10"]!, chance.right.perUser["ndcg@10"]!);
console.log(`MostPop vs random: +${test.meanDifference.toFixed(4)} NDCG@10, p = ${test.pValue.toExponential(2)}`);
popularity.dispose();

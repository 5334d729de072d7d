import { seededRandom } from "@kdrec/core";
import {
  datasetStats,
  leaveLastOut,
  pairwiseBatches,
  syntheticDataset,
  uniformNegatives,
  userItemSets,
} from "@kdrec/data";
import { loadDataset } from "@kdrec/data/node";
import * as E from "fp-ts/lib/Either.js";

// The embedded default: seeded synthetic data (same seed, same data).
const data = syntheticDataset({ seed: 7, users: 300, items: 500 });
console.log(datasetStats(data.interactions)); // { users: 300, items: 500, interactions: ..., ... }

// kdrec's protocol: per user, the last interaction is the test item, the one before validation.
const split = leaveLastOut(data.interactions);
const sampler = uniformNegatives(userItemSets(split.train));
if (E.isLeft(sampler)) throw new Error(sampler.left.message);

// One epoch of BPR triples: every training interaction once, one sampled negative each.
const rng = seededRandom(1);
let triples = 0;
for (const batch of pairwiseBatches(split.train, sampler.right, 1024, rng.split("epoch-0")))
  triples += batch.users.length;
console.log(`epoch 0: ${triples} triples`);

// Real data: a MovieLens folder (never committed; point KDREC_DATA_DIR at it).
if (process.env.KDREC_DATA_DIR !== undefined) {
  const ml = await loadDataset({ format: "ml-100k", path: `${process.env.KDREC_DATA_DIR}/ml-100k` })();
  if (E.isRight(ml)) console.log(`ml-100k: ${datasetStats(ml.right.interactions).interactions} ratings`);
}

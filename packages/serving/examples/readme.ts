import { initEngine } from "@kdrec/core";
import { itemPopularity, leaveLastOut, syntheticDataset } from "@kdrec/data";
import { towerRecommender } from "@kdrec/serving";
import { HierarchicalAttentionTower } from "@kdrec/students";
import * as E from "fp-ts/lib/Either.js";

await initEngine()();
const split = leaveLastOut(syntheticDataset({ seed: 7, users: 200, items: 300 }).interactions);

// A tower (trained with `fit` in practice; untrained here to keep the example short)...
const tower = HierarchicalAttentionTower.create({ items: 300, dim: 8, seed: 1 }, split.train);
// ...served as typed-array arithmetic, with item counts for the popularity fallback.
const popularity = Float32Array.from(itemPopularity(split.train.items, 300));
const recommender = towerRecommender(tower.config, tower.namedWeights(), popularity);
tower.dispose();
if (E.isLeft(recommender)) throw new Error(recommender.left.message);

// A user known only by their history (item ids in time order; times optional).
const top = recommender.right.recommend({ items: Int32Array.of(12, 40, 41, 7) }, 5);
if (E.isRight(top)) console.log(`${top.right.source}: ${Array.from(top.right.items).join(", ")}`);

// An empty history is an error unless the caller asks for the fallback.
const empty = recommender.right.recommend({ items: new Int32Array(0) }, 5);
if (E.isLeft(empty)) console.log(empty.left.message.split(":")[0]);
const cold = recommender.right.recommend({ items: new Int32Array(0) }, 5, { fallback: "popularity" });
if (E.isRight(cold)) console.log(`${cold.right.source}: ${cold.right.items.length} items`);

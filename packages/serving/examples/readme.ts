import { initEngine } from "@kdrec/core";
import { itemPopularity, syntheticDataset, userTimelines } from "@kdrec/data";
import { type BundleSource, encodeBundle, loadRecommender } from "@kdrec/serving";
import { HierarchicalAttentionTower } from "@kdrec/students";
import * as E from "fp-ts/lib/Either.js";

await initEngine()();
const { interactions } = syntheticDataset({ seed: 7, users: 200, items: 300 });

// `kdrec run` writes a bundle per trained model (DIR/models/<name>-seed<k>/); an app then calls
// `loadRecommender(thatFolderOrUrl)`. Here a small untrained tower is bundled by hand, in memory.
const tower = HierarchicalAttentionTower.create({ items: 300, dim: 8, seed: 1 }, interactions);
const timelines = userTimelines(interactions);
const files = encodeBundle({
  name: "tower8",
  architecture: "tower",
  role: "student",
  seed: 1,
  spec: { name: "tower8", architecture: "tower", dim: 8 },
  config: tower.config,
  parameters: tower.parameterCount,
  specFingerprint: "example",
  kdrecVersion: "0.1.0",
  data: { name: "synthetic", fingerprint: "example", users: 200, items: 300, interactions: interactions.users.length },
  weights: tower.namedWeights(),
  items: { ids: interactions.itemIds, popularity: Float32Array.from(itemPopularity(interactions.items, 300)) },
  users: { ids: interactions.userIds },
  histories: interactions.userIds.map((_, u) => ({
    items: timelines.items.subarray(timelines.offsets[u]!, timelines.offsets[u + 1]!),
  })),
});
tower.dispose();
const inMemory: BundleSource = {
  location: "memory",
  read: async (name) => {
    const file = files.find((f) => f.name === name)!;
    return E.right(typeof file.content === "string" ? new TextEncoder().encode(file.content) : file.content);
  },
};

const recommender = await loadRecommender(inMemory);
if (E.isLeft(recommender)) throw new Error(recommender.left.message);
const served = recommender.right;

// A known user, by original id: their own items are left out.
const known = served.recommend({ user: interactions.userIds[0]!, k: 5 });
if (E.isRight(known)) console.log(`${known.right.source}: ${known.right.items.map((r) => r.item).join(", ")}`);

// A visitor known only by a history of original item ids (the tower reads it), and why.
const visitor = served.recommend({ history: ["12", "40", "41", "7"], k: 5 });
if (E.isRight(visitor)) console.log(`${visitor.right.source}: ${visitor.right.items.length} items`);
const why = served.explain(["12", "40", "41", "7"]);
if (E.isRight(why)) console.log(`because of ${why.right.because?.item}`);

// Nothing to go on: the popularity fallback answers, and says why.
const nobody = served.recommend({ user: "no-such-user", k: 3 });
if (E.isRight(nobody)) console.log(`${nobody.right.source} (${nobody.right.fallbackReason})`);

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeConfig, initEngine } from "@kdrec/core";
import { syntheticDataset } from "@kdrec/data";
import { experimentSpec, fileStore, runExperiment } from "@kdrec/experiment";
import { recommenderService } from "@kdrec/http";
import { loadRecommender } from "@kdrec/serving";
import * as E from "fp-ts/lib/Either.js";

await initEngine()();
// A model as `kdrec run` writes it (one quick MF here; any run's DIR/models/<name>-seed<k>/ will do).
const out = mkdtempSync(join(tmpdir(), "kdrec-http-example-"));
const spec = decodeConfig(experimentSpec(), {
  dataset: { format: "synthetic" },
  teacher: { name: "mf16", dim: 16, maxEpochs: 2 },
  students: [],
});
if (E.isLeft(spec)) throw new Error(spec.left.message);
const { interactions } = syntheticDataset({ seed: 1, users: 100, items: 150 });
await runExperiment(spec.right, { data: { name: "synthetic", interactions }, store: fileStore(out, false) })();
const recommender = await loadRecommender(join(out, "models", "mf16-seed1"));
if (E.isLeft(recommender)) throw new Error(recommender.left.message);

// The service: loopback only, a free port.
const app = await recommenderService([recommender.right], { maxK: 50 });
const base = await app.listen({ host: "127.0.0.1", port: 0 });
const top = await fetch(`${base}/recommendations?user=${interactions.userIds[0]}&k=3`);
console.log(`${top.status} ${(await top.json()).items.length}`);
const bad = await fetch(`${base}/recommendations?user=${interactions.userIds[0]}&k=500`);
console.log(`${bad.status} ${(await bad.json()).message}`);
await app.close();

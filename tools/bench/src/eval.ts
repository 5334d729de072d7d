// `npm run bench:eval`: how long kdrec takes to load each dataset format and to evaluate by full
// ranking — batched on the `tensorflow` and `cpu` backends beside the plain-JS reference, in one run.
// MovieLens-100K comes from KDREC_DATA_DIR (default ../shared/datasets beside the checkout).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BackendName, formatKdrecError, initEngine, KdrecHeldOutRanks, seededRandom } from "@kdrec/core";
import { type Dataset, leaveLastOut, numItems, numUsers, syntheticDataset } from "@kdrec/data";
import { loadDataset } from "@kdrec/data/node";
import { evaluateFullRanking, referenceFullRanking } from "@kdrec/metrics";
import { withoutEngineKernel } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { movieLens100K, orThrow } from "./support.js";
import { secondsPerCall } from "./timing.js";

const timed = async <A>(work: () => Promise<A>): Promise<[A, number]> => {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
};

const main = async (): Promise<void> => {
  console.log(`kdrec evaluation benchmark (${new Date().toISOString()})\n`);
  // Loading: each format, on MovieLens-100K's 100,000 ratings where the format allows.
  const [ml, mlMs] = await timed(async () => movieLens100K());
  const scratch = mkdtempSync(join(tmpdir(), "kdrec-bench-"));
  const { interactions: x } = ml;
  const rows = Array.from(x.users, (u, r) => [x.userIds[u], x.itemIds[x.items[r]!], x.ratings![r], x.timestamps![r]]);
  writeFileSync(join(scratch, "ratings.csv"), `user,item,rating,ts\n${rows.map((r) => r.join(",")).join("\n")}\n`);
  writeFileSync(
    join(scratch, "ratings.jsonl"),
    `${rows.map(([u, i, r, t]) => JSON.stringify({ u, i, r, t })).join("\n")}\n`,
  );
  const columns = { user: "user", item: "item", rating: "rating", timestamp: "ts" };
  const [, csvMs] = await timed(async () =>
    orThrow(await loadDataset({ format: "delimited", path: join(scratch, "ratings.csv"), columns })()),
  );
  const jsonColumns = { user: "u", item: "i", rating: "r", timestamp: "t" };
  const [, jsonMs] = await timed(async () =>
    orThrow(await loadDataset({ format: "jsonl", path: join(scratch, "ratings.jsonl"), columns: jsonColumns })()),
  );
  // The MovieLens 1M/10M and "latest" layouts, holding ML-100K's rows (only ML-100K is on disk here).
  for (const dir of ["dat", "latest"]) mkdirSync(join(scratch, dir));
  writeFileSync(join(scratch, "dat", "ratings.dat"), `${rows.map((r) => r.join("::")).join("\n")}\n`);
  writeFileSync(
    join(scratch, "latest", "ratings.csv"),
    `userId,movieId,rating,timestamp\n${rows.map((r) => r.join(",")).join("\n")}\n`,
  );
  const [, datMs] = await timed(async () =>
    orThrow(await loadDataset({ format: "ml-1m", path: join(scratch, "dat") })()),
  );
  const [, latestMs] = await timed(async () =>
    orThrow(await loadDataset({ format: "ml-latest", path: join(scratch, "latest") })()),
  );
  rmSync(scratch, { recursive: true, force: true });
  const [synthetic, synMs] = await timed(async () => syntheticDataset());
  const loadRows: Array<[string, Dataset | undefined, number]> = [
    ["ml-100k (u.data + u.item + u.user)", ml, mlMs],
    ["ml-1m / ml-10m layout (ratings.dat)", undefined, datMs],
    ["ml-latest layout (ratings.csv)", undefined, latestMs],
    ["delimited CSV (ML-100K's rows)", undefined, csvMs],
    ["jsonl (ML-100K's rows)", undefined, jsonMs],
    ["synthetic (defaults, generated)", synthetic, synMs],
  ];
  console.log("loading (100,000 interactions unless noted)");
  for (const [name, data, ms] of loadRows) {
    const n = data ? ` [${data.interactions.users.length.toLocaleString("en-US")} interactions]` : "";
    console.log(`  ${name.padEnd(38)} ${ms.toFixed(0).padStart(6)} ms${n}`);
  }

  // Full ranking of all 943 users x 1,682 items, leave-last-out test set, random scores.
  const split = leaveLastOut(ml.interactions);
  const [users, items] = [numUsers(split.train), numItems(split.train)];
  const rng = seededRandom(1);
  const scores = Float32Array.from({ length: users * items }, () => rng.normal());
  const options = { heldOut: split.test, exclude: [split.train, split.valid], ks: [10, 20] };
  const referenceMs = (await secondsPerCall(async () => void referenceFullRanking(scores, options), 3)) * 1000;
  const figures: Array<[string, number]> = [];
  for (const backend of ["tensorflow", "cpu"] as BackendName[]) {
    const engine = await initEngine({ backend })();
    if (E.isLeft(engine)) throw new Error(formatKdrecError(engine.left));
    const matrix = tf.tensor2d(scores, [users, items]);
    const scorer = (batch: Int32Array) => tf.tidy(() => tf.gather(matrix, tf.tensor1d(batch, "int32")) as tf.Tensor2D);
    const seconds = await secondsPerCall(
      async () => void orThrow(await evaluateFullRanking(scorer, options)),
      backend === "tensorflow" ? 20 : 3,
    );
    figures.push([
      backend === "tensorflow" ? "batched, tensorflow, kdrec kernel" : `batched, ${backend} backend`,
      seconds * 1000,
    ]);
    if (backend === "tensorflow")
      // The same on the native engine without kdrec's rank kernel: TF.js ops, and reading back.
      for (const ranking of ["engine", "read-back"] as const) {
        const without = await withoutEngineKernel(KdrecHeldOutRanks, () =>
          secondsPerCall(async () => void orThrow(await evaluateFullRanking(scorer, { ...options, ranking })), 20),
        );
        figures.push([`batched, tensorflow, ${ranking === "engine" ? "TF.js ops" : "read back"}`, without * 1000]);
      }
    matrix.dispose();
  }
  figures.push(["plain-JS reference (loops)", referenceMs]);
  console.log(`\nfull ranking: ${users} users x ${items} items, HR/NDCG/Recall/Precision@{10,20} + MRR`);
  for (const [name, ms] of figures)
    console.log(
      `  ${name.padEnd(38)} ${ms.toFixed(1).padStart(8)} ms   (${(referenceMs / ms).toFixed(1)}x the reference)`,
    );
};

await main();

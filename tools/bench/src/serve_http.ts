// `npm run bench:serve-http`: `kdrec serve` under load. A d = 11 tower (the student of
// examples/ml-100k/sasrec-tower.json) at MovieLens-100K's shapes is written as a model bundle and
// served by the real CLI in its own process; autocannon sends top-10 requests for known users over
// 64 connections to 127.0.0.1 for a bounded time. Printed beside: the same recommender's
// in-process latency (no HTTP), and the target (≥ 3,000 requests/s with p99 ≤ 10 ms).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initEngine } from "@kdrec/core";
import { servedData, writeBundle } from "@kdrec/experiment";
import { loadRecommender } from "@kdrec/serving";
import { HierarchicalAttentionTower } from "@kdrec/students";
import autocannon from "autocannon";
import { movieLens100K, orThrow } from "./support.js";

const SECONDS = Number(process.env.KDREC_BENCH_SECONDS ?? 10);
const CONNECTIONS = 64;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

const main = async (): Promise<void> => {
  orThrow(await initEngine({ backend: "tensorflow" })());
  const data = await movieLens100K();
  const { interactions } = data;
  const served = servedData(data.name, interactions, data.items);
  const tower = HierarchicalAttentionTower.create(
    { items: served.data.items, dim: 11, positions: true, seed: 1 },
    interactions,
  );
  const dir = join(mkdtempSync(join(tmpdir(), "kdrec-bench-http-")), "tower11-seed1");
  await writeBundle(dir, {
    name: "tower11",
    architecture: "tower",
    role: "student",
    seed: 1,
    spec: { name: "tower11", architecture: "tower", dim: 11, positions: true },
    config: tower.config,
    parameters: tower.parameterCount,
    specFingerprint: "bench",
    kdrecVersion: "bench",
    weights: tower.namedWeights(),
    ...served,
  });
  tower.dispose();
  const users = served.users.ids;

  // In process: the recommender alone, one request at a time.
  const recommender = orThrow(await loadRecommender(dir));
  for (let k = 0; k < 200; k++) recommender.recommend({ user: users[k % users.length]!, k: 10 });
  const inProcess: number[] = [];
  for (let k = 0; k < 2000; k++) {
    const start = performance.now();
    recommender.recommend({ user: users[k % users.length]!, k: 10 });
    inProcess.push(performance.now() - start);
  }
  inProcess.sort((a, b) => a - b);

  // Over HTTP: the CLI in its own process.
  const cli = fileURLToPath(new URL("../../../packages/cli/bin/kdrec.js", import.meta.url));
  const server = spawn(process.execPath, [cli, "serve", "--model", dir, "--port", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const base = await new Promise<string>((resolve, reject) => {
    let text = "";
    server.stdout.on("data", (chunk) => {
      text += chunk;
      const found = /listening on (\S+)/.exec(text);
      if (found !== null) resolve(found[1]!);
    });
    server.on("exit", (code) => reject(new Error(`kdrec serve exited with ${code}`)));
  });
  let next = 0;
  const load = (connections: number, overallRate?: number) =>
    autocannon({
      url: base,
      connections,
      duration: SECONDS,
      ...(overallRate === undefined ? {} : { overallRate }),
      requests: [
        {
          method: "GET",
          setupRequest: (request) => ({
            ...request,
            path: `/recommendations?user=${users[next++ % users.length]}&k=10`,
          }),
        },
      ],
    });
  // As fast as 64 connections go (throughput), then a steady 3,000 requests/s (latency at that load:
  // with 64 connections always waiting, latency is 64 / throughput by Little's law, whatever p99 is).
  const saturated = await load(CONNECTIONS);
  const steady = await load(8, 3000);
  server.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });

  console.log(
    `kdrec serve benchmark: tower d = 11 (recency) at ${data.name}'s shapes (${served.data.items} items, ${users.length} users), ` +
      `GET /recommendations?user=…&k=10, ${CONNECTIONS} connections for ${SECONDS} s to 127.0.0.1\n`,
  );
  const row = (name: string, r: autocannon.Result) => [
    name,
    r.requests.average.toFixed(0),
    r.latency.p50.toFixed(2),
    r.latency.p99.toFixed(2),
    String(r.errors + r.timeouts),
    String(r.non2xx),
  ];
  const rows = [
    ["", "requests/s", "p50 ms", "p99 ms", "errors", "non-2xx"],
    row(`kdrec serve, ${CONNECTIONS} connections, unthrottled`, saturated),
    row("kdrec serve, 8 connections at 3,000 requests/s", steady),
    [
      "in process (no HTTP), one at a time",
      (1000 / (inProcess.reduce((a, b) => a + b, 0) / inProcess.length)).toFixed(0),
      percentile(inProcess, 0.5).toFixed(3),
      percentile(inProcess, 0.99).toFixed(3),
      "0",
      "0",
    ],
    ["target (issue)", "≥ 3000", "", "≤ 10", "0", "0"],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const cells of rows)
    console.log(cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "));
  const clean = [saturated, steady].every((r) => r.errors + r.timeouts + r.non2xx === 0);
  const met = saturated.requests.average >= 3000 && steady.latency.p99 <= 10 && clean;
  console.log(
    `\ntarget ${met ? "met" : "NOT met"}: ≥ 3,000 requests/s unthrottled, p99 ≤ 10 ms at 3,000 requests/s, no error ` +
      "(autocannon runs on the same 2 cores as the server; requests/s is its mean per second)",
  );
};

await main();

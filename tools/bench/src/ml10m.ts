// `npm run bench:ml10m`: a run at MovieLens-10M's size on this machine — synthetic data shaped
// like it (70k users, 10k items, about 10M interactions), an MF-64 teacher and MF-8 students (no
// distillation, and soft labels over 100 candidates), one seed, few epochs (tools/bench/ml10m.json)
// — through `kdrec run` itself, timing each phase from its progress lines and sampling the
// process's peak resident set (VmHWM). A benchmark, not a CI test: it takes tens of minutes.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const out = "runs/bench/ml10m";
const peakMiB = (pid: number): number => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
};

const main = async (): Promise<void> => {
  console.log(
    `kdrec at ML-10M size (${new Date().toISOString()}): tools/bench/ml10m.json ${process.argv.slice(2).join(" ")}\n`,
  );
  const started = performance.now();
  const child = spawn(
    process.execPath,
    // Options after `--` go to `kdrec run` (`npm run bench:ml10m -- --threads 2`).
    [
      "packages/cli/bin/kdrec.js",
      "run",
      "tools/bench/ml10m.json",
      "--out",
      out,
      "--overwrite",
      ...process.argv.slice(2),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, peakMiB(child.pid!));
  }, 500);
  // The first progress line of each model marks the end of what came before it.
  const marks: Array<[string, number]> = [];
  let loaded = 0;
  let buffered = "";
  child.stderr.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      const now = (performance.now() - started) / 1000;
      // "kdrec run: <data> …" is printed once the data is loaded and split.
      if (line.startsWith("kdrec run:")) {
        loaded = now;
        console.log(
          `  ${now.toFixed(0).padStart(5)} s  data ready: ${line.slice(11)} (peak so far ${peak.toFixed(0)} MiB)`,
        );
      }
      // A model's first epoch line, less that epoch's seconds, marks when it started.
      const first = /^\[([^\]]+) seed \d+\] .*\(([\d.]+) s\)$/.exec(line);
      if (first !== null && !marks.some(([name]) => name === first[1])) {
        const at = now - Number(first[2]);
        marks.push([first[1]!, at]);
        console.log(`  ${at.toFixed(0).padStart(5)} s  ${first[1]} starts (peak so far ${peak.toFixed(0)} MiB)`);
      }
    }
  });
  child.stdout.on("data", () => undefined);
  const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
  clearInterval(sampler);
  const total = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`kdrec run exited with ${code}`);
  const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as {
    models: Array<{ name: string; train_seconds: number; best_epoch: number; test: Record<string, number> }>;
  };
  console.log(`\nphase                              seconds`);
  console.log(`  start-up, data generation, split  ${loaded.toFixed(0).padStart(7)}`);
  console.log(`  the teacher's set-up              ${(marks[0]![1] - loaded).toFixed(0).padStart(7)}`);
  marks.forEach(([name, at], k) => {
    const end = k + 1 < marks.length ? marks[k + 1]![1] : total;
    const model = results.models.find((m) => m.name === name);
    console.log(
      `  ${name.padEnd(32)} ${(end - at).toFixed(0).padStart(7)}  (training ${model?.train_seconds.toFixed(0) ?? "?"} s, test NDCG@10 ${model?.test["ndcg@10"]?.toFixed(4) ?? "?"})`,
    );
  });
  console.log(`  total                            ${total.toFixed(0).padStart(7)}`);
  console.log(`\npeak resident set of the run: ${peak.toFixed(0)} MiB (this machine has 24 GiB)`);
};

await main();

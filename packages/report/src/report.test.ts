// The report over a real (tiny) run: two seeds of a teacher, a student alone and one distilled
// with an α ramp. The run also writes TensorBoard scalars through tfjs-node's summary writer, and
// the page is opened in a real headless browser (Debian's chromium, driven by playwright-core).
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeConfig, initEngine } from "@kdrec/core";
import { syntheticDataset } from "@kdrec/data";
import { experimentSpec, openRunFolder } from "@kdrec/experiment";
import { scratchFolders } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-node";
import * as E from "fp-ts/lib/Either.js";
import { type Browser, chromium } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { paretoFront, reportCharts } from "./charts.js";
import { readRunFolder, writeReport } from "./node.js";
import { tensorboardLog } from "./tensorboard.js";

const CHROMIUM = process.env.KDREC_CHROMIUM ?? "/usr/bin/chromium";
const scratch = scratchFolders("kdrec-report-");
const quick = { maxEpochs: 3, patience: 3, batchSize: 512 };
const config = {
  dataset: { format: "synthetic", options: { seed: 4, users: 80, items: 120 } },
  seeds: [1, 2],
  teacher: { name: "teacher-mf16", dim: 16, ...quick },
  students: [
    { name: "mf4-alone", dim: 4, ...quick },
    {
      name: "mf4-soft",
      dim: 4,
      ...quick,
      strategy: {
        kind: "one-way",
        loss: { kind: "soft-label", temperature: [1, 0.5], candidates: 20 },
        alpha: { from: 0.8, to: 0.4 },
        rounds: 2,
        epochsPerRound: 2,
        finetune: { epochs: 1 },
      },
    },
  ],
};

let out = "";
beforeAll(async () => {
  await initEngine({ backend: "tensorflow" })();
  out = join(scratch(), "tiny-run");
  const spec = decodeConfig(experimentSpec(), config, "config");
  if (E.isLeft(spec)) throw new Error(spec.left.message);
  const folder = await openRunFolder(out);
  if (E.isLeft(folder)) throw new Error(folder.left.message);
  const log = tensorboardLog(join(out, "tensorboard"), (dir) => tf.node.summaryFileWriter(dir));
  const data = syntheticDataset({ seed: 4, users: 80, items: 120 });
  const result = await folder.right.run(spec.right, { data, onEvent: log.onEvent });
  log.close();
  if (E.isLeft(result)) throw new Error(result.left.message);
}, 120_000);

describe("paretoFront", () => {
  it("marks the points no other point beats on both cost and quality", () => {
    const points = [
      { cost: 10, quality: 0.3 },
      { cost: 1, quality: 0.1 },
      { cost: 5, quality: 0.1 }, // as good as the cost-1 point, dearer: dominated
      { cost: 5, quality: 0.25 },
      { cost: 20, quality: 0.2 }, // dearer and worse than cost 10
    ];
    expect(paretoFront(points)).toEqual([true, true, false, true, false]);
    expect(
      paretoFront([
        { cost: 1, quality: 1 },
        { cost: 1, quality: 1 },
      ]),
    ).toEqual([true, true]);
  });
});

describe("the report of a run", () => {
  it("charts every model and seed of the run: curves per epoch, intervals, the front", async () => {
    const run = await readRunFolder(out);
    if (E.isLeft(run)) throw new Error(run.left.message);
    const charts = reportCharts([run.right]);
    expect(charts.map((c) => c.id)).toEqual([
      "learning-curves",
      "loss-terms",
      "test-quality",
      "quality-vs-parameters",
      "quality-vs-latency",
    ]);
    const values = (id: string) =>
      (charts.find((c) => c.id === id)!.spec.data as { values: Record<string, unknown>[] }).values;
    // Every epoch of every model and seed is a point of the curves.
    expect(values("learning-curves")).toHaveLength(run.right.epochs.length);
    expect(new Set(values("learning-curves").map((v) => `${v.model}/${v.seed}`)).size).toBe(6);
    // Two seeds give every model a 95% interval around its mean.
    for (const row of values("test-quality")) {
      expect(row.low as number).toBeLessThanOrEqual(row.mean as number);
      expect(row.high as number).toBeGreaterThanOrEqual(row.mean as number);
      expect(row.seeds).toBe(2);
    }
    // The distilled student's terms, and α and T following their per-round schedules.
    const soft = values("loss-terms").filter((v) => v.model === "mf4-soft" && v.seed === 1);
    const series = (name: string) => soft.filter((v) => v.series === name).map((v) => v.value as number);
    expect(new Set(soft.map((v) => v.series))).toEqual(
      new Set(["loss: bpr", "loss: soft-label-ce", "α (soft-label-ce)", "soft-label-ce temperature"]),
    );
    expect(series("α (soft-label-ce)").slice(0, 4)).toEqual([0.8, 0.8, 0.4, 0.4].map((a) => expect.closeTo(a, 9)));
    expect(series("soft-label-ce temperature").slice(0, 4)).toEqual([1, 1, 0.5, 0.5]);
    expect(values("loss-terms").some((v) => v.model === "mf4-alone" && v.series === "loss: bpr")).toBe(true);
    const sizes = values("quality-vs-parameters");
    expect(sizes.map((r) => r.model).sort()).toEqual(["mf4-alone", "mf4-soft", "teacher-mf16"]);
    // The best of the smallest models is on the front whatever the numbers.
    const smallest = sizes.filter((r) => r.cost === Math.min(...sizes.map((s) => s.cost as number)));
    const best = smallest.reduce((a, b) => ((a.ndcg as number) >= (b.ndcg as number) ? a : b));
    expect(best.front).toBe("Pareto front");
  });

  it("takes the epochs a resumed run's metrics.jsonl lacks from the models' checkpoints", async () => {
    const copy = join(scratch(), "resumed");
    cpSync(out, copy, { recursive: true });
    const lines = readFileSync(join(copy, "metrics.jsonl"), "utf8").split("\n");
    writeFileSync(join(copy, "metrics.jsonl"), lines.filter((line) => !line.includes('"mf4-alone"')).join("\n"));
    const [whole, resumed] = [await readRunFolder(out), await readRunFolder(copy)];
    if (E.isLeft(whole) || E.isLeft(resumed)) throw new Error("unreadable run");
    const key = (e: { model: string; seed: number; epoch: number }) => `${e.model}#${e.seed}#${e.epoch}`;
    expect(resumed.right.epochs.map(key).sort()).toEqual(whole.right.epochs.map(key).sort());
  });

  it("renders in a real browser from disk: every chart drawn with marks, no console error", async () => {
    const page = join(out, "report.html");
    const written = await writeReport([out], page);
    expect(written).toEqual(E.right(page));
    const html = readFileSync(page, "utf8");
    // Checked as flags: a failure must not print a megabyte of inlined scripts.
    expect(/<script[^>]+src=/.test(html)).toBe(false); // nothing loaded from anywhere
    expect(html.includes("paired t-test over 80 users")).toBe(true);
    expect(html.includes("&quot;temperature&quot;")).toBe(true); // the resolved configs

    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      tab.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
      });
      tab.on("pageerror", (error) => problems.push(error.message));
      const requests: string[] = [];
      tab.on("request", (request) => requests.push(request.url()));
      await tab.goto(`file://${page}`);
      await tab.evaluate(async () => {
        await (window as unknown as { kdrecCharts: Promise<unknown> }).kdrecCharts;
      });
      const marks = await tab.$$eval(".chart", (charts) =>
        charts.map((chart) => ({
          id: chart.id,
          svgs: chart.querySelectorAll("svg").length,
          marks: chart.querySelectorAll("g[class*='mark-'] path, g[class*='mark-'] line, g[class*='mark-'] text")
            .length,
        })),
      );
      expect(marks.map((m) => m.id)).toEqual([
        "learning-curves",
        "loss-terms",
        "test-quality",
        "quality-vs-parameters",
        "quality-vs-latency",
      ]);
      for (const chart of marks) {
        expect(chart.svgs, chart.id).toBeGreaterThan(0);
        expect(chart.marks, chart.id).toBeGreaterThan(3);
      }
      expect(problems).toEqual([]);
      expect(requests.filter((url) => !url.startsWith("file://"))).toEqual([]);
      // A screenshot as a test artifact (CI keeps the report folder).
      const artifacts = process.env.KDREC_TEST_REPORT_DIR ?? join(out, "..");
      mkdirSync(artifacts, { recursive: true });
      await tab.screenshot({ path: join(artifacts, "report.png"), fullPage: true });
      expect(existsSync(join(artifacts, "report.png"))).toBe(true);
    } finally {
      await browser?.close();
    }
  }, 60_000);
});

describe("TensorBoard scalars of the run", () => {
  it("writes one event file per model and seed, with the loss, its terms, validation, α, T and time", () => {
    const logs = join(out, "tensorboard");
    expect(readdirSync(logs).sort()).toEqual(
      ["mf4-alone", "mf4-soft", "teacher-mf16"].flatMap((m) => [`${m}-seed1`, `${m}-seed2`]),
    );
    const events = (run: string) => {
      const files = readdirSync(join(logs, run)).filter((f) => f.startsWith("events.out.tfevents"));
      expect(files.length).toBeGreaterThan(0);
      return files.map((f) => readFileSync(join(logs, run, f)).toString("latin1")).join("");
    };
    const soft = events("mf4-soft-seed1");
    for (const tag of [
      "train/loss",
      "train/bpr",
      "train/soft-label-ce",
      "valid/ndcg@10",
      "valid/hr@10",
      "schedule/weight/soft-label-ce",
      "schedule/soft-label-ce/temperature",
      "time/epoch_seconds",
      "test/ndcg@10",
    ])
      expect(soft, tag).toContain(tag);
    expect(events("mf4-alone-seed2")).not.toContain("soft-label-ce");
  });
});

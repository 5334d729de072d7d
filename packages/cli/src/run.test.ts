// `kdrec run` in-process on a tiny synthetic experiment: the results file's shape, the models on
// disk, and every problem of an invalid config listed with its path, with nothing written.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadRecommender } from "@kdrec/serving";
import { readTopKParquetFiles } from "@kdrec/teachers/node";
import { scratchFolders } from "@kdrec/testing";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import type { CommandIo } from "./io.js";
import { main } from "./main.js";

const run = async (...argv: string[]) => {
  let out = "";
  let err = "";
  const io: CommandIo = { out: (t) => (out += t), err: (t) => (err += t), interactive: false };
  const code = await main(argv, io);
  return { code, out, err, errors: err.split("\n").filter((l) => l.startsWith("kdrec: error:")) };
};

const scratch = scratchFolders("kdrec-run-");
const writeConfig = (dir: string, name: string, config: unknown): string => {
  writeFileSync(join(dir, name), JSON.stringify(config));
  return join(dir, name);
};
/** A finished tiny run (the teacher and the undistilled student) in a scratch folder. */
const trainedTinyRun = async () => {
  const dir = scratch();
  const first = join(dir, "first");
  const trained = await run(
    "run",
    writeConfig(dir, "first.json", { ...tiny, students: [tiny.students[0]!] }),
    "--out",
    first,
  );
  expect(trained.code).toBe(0);
  return { dir, first };
};
const quick = { learningRate: 0.01, patience: 2, maxEpochs: 4, batchSize: 256 };
const tiny = {
  dataset: { format: "synthetic", options: { seed: 3, users: 60, items: 80 } },
  seeds: [1],
  teacher: { name: "teacher", dim: 16, ...quick },
  students: [
    { name: "s-nokd", dim: 4, ...quick, strategy: { kind: "none" } },
    {
      name: "s-soft",
      dim: 4,
      ...quick,
      strategy: {
        kind: "one-way",
        loss: { kind: "soft-label", candidates: 10, temperature: 0.5 },
        rounds: 1,
        epochsPerRound: 2,
        finetune: { epochs: 1 },
      },
    },
    {
      name: "s-rank",
      dim: 4,
      ...quick,
      strategy: {
        kind: "one-way",
        loss: { kind: "ranking", topK: 5 },
        rounds: 1,
        epochsPerRound: 2,
        finetune: { epochs: 1 },
      },
    },
    { name: "s-als", architecture: "als", dim: 4, sweeps: 3, strategy: { kind: "none" } },
    {
      name: "s-als-kd",
      architecture: "als",
      dim: 4,
      sweeps: 3,
      strategy: { kind: "one-way", loss: { kind: "ranking", topK: 5 }, alpha: 0.5 },
    },
  ],
};
const configFile = (config: unknown) => {
  const path = join(scratch(), "run.json");
  writeFileSync(path, JSON.stringify(config));
  return path;
};

describe("kdrec run", () => {
  it("trains the teacher and every student, and writes results, metrics and models", async () => {
    const out = join(scratch(), "out");
    const { code, out: table, errors } = await run("run", configFile(tiny), "--out", out);
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(results.dataset).toMatchObject({ name: "synthetic(seed=3)", users: 60, items: 80 });
    expect(results.protocol).toEqual({ name: "leave-last-out" });
    expect(results.models.map((m: { name: string; role: string }) => `${m.name}/${m.role}`)).toEqual([
      "teacher/teacher",
      "s-nokd/student",
      "s-soft/student",
      "s-rank/student",
      "s-als/student",
      "s-als-kd/student",
    ]);
    expect(results.models[4]).toMatchObject({ architecture: "als", params: (60 + 80) * 4 });
    expect(table).toMatch(/s-als-kd vs s-als, test ndcg@10:\n {2}Δ [+-]0\.\d{4}/);
    const soft = results.models[2];
    expect(soft).toMatchObject({
      architecture: "mf",
      dim: 4,
      params: (60 + 80) * 4,
      seed: 1,
      losses: ["bpr", "soft-label-ce"],
    });
    expect(Object.keys(soft.test)).toEqual(["hr@10", "ndcg@10", "hr@20", "ndcg@20"]);
    expect(soft.score_all_users_ms).toBeGreaterThan(0);
    // Popularity bias: per run, and over the seeds in the summaries and the printed table.
    expect(Object.keys(soft.popularity)).toEqual([
      "tail_ndcg@10",
      "tail_users",
      "mean_recommended_popularity",
      "recommended_tail_share",
    ]);
    expect(soft.popularity.recommended_tail_share).toBeGreaterThanOrEqual(0);
    expect(soft.popularity.recommended_tail_share).toBeLessThanOrEqual(1);
    const softSummary = results.summaries.find((x: { name: string }) => x.name === "s-soft");
    expect(softSummary.popularity["tail_ndcg@10"].mean).toBeCloseTo(soft.popularity["tail_ndcg@10"], 10);
    expect(table).toMatch(/long-tail ndcg@10/);
    expect(results.models[1].strategy).toBe("none");
    expect(existsSync(join(out, "models", "s-soft-seed1", "weights.bin"))).toBe(true);
    // TensorBoard logs per model and seed, and the report page, beside the results.
    expect(readdirSync(join(out, "tensorboard"))).toContain("s-soft-seed1");
    expect(readdirSync(join(out, "tensorboard", "s-soft-seed1"))[0]).toMatch(/^events\.out\.tfevents\./);
    expect(readFileSync(join(out, "report.html"), "utf8").includes('<div class="chart" id="learning-curves">')).toBe(
      true,
    );
    expect(table).toContain(`${join(out, "report.html")} (open it in a browser)`);
    const manifest = JSON.parse(readFileSync(join(out, "models", "s-soft-seed1", "model.json"), "utf8"));
    expect(manifest.weightsManifest[0].weights.map((w: { shape: number[] }) => w.shape)).toEqual([
      [60, 4],
      [80, 4],
    ]);
    // The bundle serves by original ids: `kdrec recommend` answers what the library answers.
    const user = JSON.parse(readFileSync(join(out, "models", "s-als-kd-seed1", "users.json"), "utf8")).ids[7];
    const asked = await run(
      "recommend",
      "--model",
      join(out, "models", "s-als-kd-seed1"),
      "--user",
      user,
      "--k",
      "3",
      "--json",
    );
    expect(asked.code).toBe(0);
    const library = await loadRecommender(join(out, "models", "s-als-kd-seed1"));
    expect(E.isRight(library) && JSON.parse(asked.out)).toEqual(
      E.isRight(library) && E.getOrElseW(() => undefined)(library.right.recommend({ user, k: 3 })),
    );
    const table3 = await run("recommend", "--model", join(out, "models", "s-soft-seed1"), "--user", user, "--k", "3");
    expect(table3.out.split("\n")[0]).toMatch(/^rank +item +score +title$/);
    expect(table3.out.trim().split("\n")).toHaveLength(4);
    const epochs = readFileSync(join(out, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(epochs.some((e: { model: string; phase: string }) => e.model === "s-soft" && e.phase === "distill")).toBe(
      true,
    );
    // One seed: no spread to show, no test over seeds; users are paired on their one value.
    expect(table).toMatch(/s-soft +student +560 +0\.\d{4} \(n = 1\)/);
    expect(table).toMatch(
      /s-soft vs s-nokd, test ndcg@10:\n {2}Δ [+-]0\.\d{4} \[[+-]0\.\d{4}, [+-]0\.\d{4}\], t -?\d+\.\d\d, p .* \(paired t-test over 60 users, each user's NDCG@10 averaged over 1 seed\(s\)\)\n(?! )/,
    );
    expect(results.summaries[2]).toMatchObject({ name: "s-soft", seeds: 1, test: { "ndcg@10": { n: 1, ci95: null } } });
    expect(results.comparisons[0]).toMatchObject({ student: "s-soft", baseline: "s-nokd", users: { n: 60 } });
    // Every default written out, with the version that ran.
    const resolved = JSON.parse(readFileSync(join(out, "config.resolved.json"), "utf8"));
    expect(resolved.kdrec.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(resolved.seeds).toEqual([1]);
    expect(resolved.students[1]).toMatchObject({
      l2: 0, // a default
      batchSize: 256, // as set
      initStd: 0.1,
      strategy: { kind: "one-way", alpha: 0.8, rounds: 1, epochsPerRound: 2, finetune: { epochs: 1 } },
    });
    expect(resolved.students[1].strategy.loss).toEqual({
      kind: "soft-label",
      candidates: 10,
      temperature: 0.5,
      teacherTop: 0,
      weighting: "uniform",
      epsilon: 0.1,
    });
  });

  it("reports tests over seed means with three seeds, and 95% intervals in results.json", async () => {
    const out = join(scratch(), "out");
    const config = configFile({ ...tiny, students: tiny.students.slice(0, 2) });
    const { code, out: table } = await run("run", config, "--out", out, "--seeds", "3");
    expect(code).toBe(0);
    expect(table).toMatch(/each user's NDCG@10 averaged over 3 seed\(s\)/);
    expect(table).toMatch(/paired t-test over 3 seeds' mean NDCG@10/);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    const ndcg = results.summaries[1].test["ndcg@10"];
    expect(ndcg.n).toBe(3);
    expect(ndcg.ci95[0]).toBeLessThan(ndcg.mean);
    expect(ndcg.ci95[1]).toBeGreaterThan(ndcg.mean);
    expect(results.comparisons[0].seeds).toMatchObject({ n: 3, degreesOfFreedom: 2 });
  });

  it("trains MF's task-loss epochs whole on --threads N, records N, and refuses a bad N before anything", async () => {
    const config = configFile({ ...tiny, students: tiny.students.slice(0, 2) });
    const outcome = async (...extra: string[]) => {
      const out = join(scratch(), "out");
      const done = await run("run", config, "--out", out, ...extra);
      expect(done.code, done.err).toBe(0);
      const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
      const resolved = JSON.parse(readFileSync(join(out, "config.resolved.json"), "utf8"));
      return { tests: results.models.map((m: { test: Record<string, number> }) => m.test["ndcg@10"]), resolved };
    };
    const stepwise = await outcome();
    const one = await outcome("--threads", "1");
    const two = await outcome("--threads", "2");
    // One thread: the steps of the default path (to float rounding); two: Hogwild, close to it.
    expect(one.tests).toEqual(stepwise.tests.map((x: number) => expect.closeTo(x, 3)));
    expect(two.tests).toEqual(stepwise.tests.map((x: number) => expect.closeTo(x, 1)));
    expect([stepwise.resolved.kdrec.threads, one.resolved.kdrec.threads, two.resolved.kdrec.threads]).toEqual([
      undefined,
      1,
      2,
    ]);
    for (const bad of ["0", "1.5", "65"]) {
      const out = join(scratch(), "out");
      const refused = await run("run", config, "--out", out, "--threads", bad);
      expect(refused.code, bad).toBe(2);
      expect(refused.errors[0]).toMatch(/--threads: (expected a positive integer|at most 64 threads)/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it("resumes from its checkpoints: a finished run resumed trains nothing and reports the same", async () => {
    const out = join(scratch(), "out");
    const config = configFile({ ...tiny, students: tiny.students.slice(0, 2) });
    expect((await run("run", config, "--out", out)).code).toBe(0);
    const first = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(existsSync(join(out, "checkpoints", "s-soft-seed1.json"))).toBe(true);
    const again = await run("run", config, "--out", out, "--resume");
    expect(again.code).toBe(0);
    expect(again.err).not.toMatch(/epoch \d+ loss/); // no epoch was trained again
    const second = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(second.models.map((m: { test: unknown }) => m.test)).toEqual(
      first.models.map((m: { test: unknown }) => m.test),
    );
    // A changed setting under the same name: that model's checkpoint is refused, not reused.
    const changed = configFile({
      ...tiny,
      students: [tiny.students[0], { ...tiny.students[1], learningRate: 0.02 }],
    });
    const refused = await run("run", changed, "--out", out, "--resume");
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/s-soft seed 1: students\[1\]: its checkpoint was written by another spec/);
  });

  it("lists every invalid field with its path, exits non-zero and writes nothing", async () => {
    const out = join(scratch(), "out");
    const bad = {
      ...tiny,
      teacher: { name: "t", dim: 0 },
      students: [
        { name: "s", dim: 4, strategy: { kind: "one-way", loss: { kind: "soft-label", temperature: -1 }, alpha: 1.3 } },
      ],
    };
    const result = await run("run", configFile(bad), "--out", out);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/teacher\.dim: expected an integer in \[1, 4096\], got 0/);
    expect(result.err).toMatch(/students\[0\]\.strategy\.loss\.temperature: expected a number in \(0, 100\], got -1/);
    expect(result.err).toMatch(/students\[0\]\.strategy\.alpha: expected a number in \[0, 1\], got 1\.3/);
    expect(existsSync(out)).toBe(false);
  });

  it("trains a NeuMF teacher, and draws soft-label candidates from the teacher's top items", async () => {
    const out = join(scratch(), "out");
    const config = {
      ...tiny,
      teacher: { name: "neumf", architecture: "neumf", dim: 8, mlpLayers: [16, 8], ...quick },
      students: [
        {
          name: "s-soft-top",
          dim: 4,
          ...quick,
          strategy: {
            kind: "one-way",
            loss: { kind: "soft-label", candidates: 10, temperature: 0.5, teacherTop: 3 },
            rounds: 1,
            epochsPerRound: 2,
            finetune: { epochs: 1 },
          },
        },
      ],
    };
    const { code, errors } = await run("run", configFile(config), "--out", out);
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(results.models[0]).toMatchObject({
      name: "neumf",
      role: "teacher",
      architecture: "neumf",
      params: (60 + 80) * (8 + 8) + 16 * 8 + 8 + 8 + 8,
    });
    expect(results.models[1].strategy).toMatch(/3 from the teacher's top 15/);
    const manifest = JSON.parse(readFileSync(join(out, "models", "neumf-seed1", "model.json"), "utf8"));
    expect(manifest).toMatchObject({ format: "kdrec-model-bundle", architecture: "neumf" });
    expect(manifest.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toEqual([
      "gmf_users",
      "gmf_items",
      "mlp_users",
      "mlp_items",
      "mlp_layer_0_kernel",
      "mlp_layer_0_bias",
      "output",
    ]);
  });

  it("exports a trained teacher's targets as Parquet, and a student distils from them as from a cluster's", async () => {
    const { dir, first } = await trainedTinyRun();
    const targets = join(dir, "teacher-top20.parquet");
    const exported = await run(
      "targets",
      "export",
      "--model",
      join(first, "models", "teacher-seed1"),
      "--out",
      targets,
      "--k",
      "20",
    );
    expect(exported.errors, exported.err).toEqual([]);
    expect(exported.err).toMatch(/wrote .*teacher-top20\.parquet: 60 users × top 20/);
    // Again without --overwrite: refused, the file kept.
    const again = await run("targets", "export", "--model", join(first, "models", "teacher-seed1"), "--out", targets);
    expect(again.errors).toEqual([`kdrec: error: ${targets}: exists; pass --overwrite to replace it`]);

    const external = {
      ...tiny,
      teacher: { name: "from-parquet", architecture: "external", path: "teacher-top20.parquet" },
      students: [tiny.students[2]!],
    };
    const second = join(dir, "second");
    const distilled = await run("run", writeConfig(dir, "second.json", external), "--out", second);
    expect(distilled.errors).toEqual([]);
    const results = JSON.parse(readFileSync(join(second, "results.json"), "utf8"));
    expect(results.models[0]).toMatchObject({ name: "from-parquet", architecture: "external" });
    expect(results.models[1]).toMatchObject({ name: "s-rank", losses: ["bpr", "ranking-distillation"] });
    // The file holds what the bundle recommends: user "1"'s top 20, best first.
    const asked = await run(
      "recommend",
      "--model",
      join(first, "models", "teacher-seed1"),
      "--user",
      "1",
      "--k",
      "20",
      "--json",
    );
    const recommended = JSON.parse(asked.out).items.map((r: { item: string }) => r.item);
    const read = await readTopKParquetFiles(
      targets,
      Array.from({ length: 60 }, (_, u) => String(u + 1)),
      Array.from({ length: 80 }, (_, i) => String(i + 1)),
    );
    if (E.isLeft(read)) throw new Error(read.left.message);
    expect(Array.from(read.right.items.subarray(0, 20), (i) => String(i + 1))).toEqual(recommended);
  });

  it("updates a bundle with new events: a new user is served and a new item recommendable, without retraining", async () => {
    const { dir, first } = await trainedTinyRun();
    // A new user "999" with three items; a new item "new-item" taken by ten known users.
    const rows = [
      ...["1", "2", "3"].map((item) => `999,${item}`),
      ...Array.from({ length: 10 }, (_, u) => `${u + 1},new-item`),
    ];
    writeFileSync(join(dir, "events.csv"), `user,item\n${rows.join("\n")}\n`);
    const updated = join(dir, "updated");
    const models = join(first, "models");
    const result = await run(
      "update",
      "--model",
      join(models, "s-nokd-seed1"),
      "--teacher",
      join(models, "teacher-seed1"),
      "--events",
      join(dir, "events.csv"),
      "--out",
      updated,
    );
    expect(result.errors, result.err).toEqual([]);
    expect(result.err).toMatch(/13 events \(1 new users, 1 new items; \d+ interactions trained, the teacher refreshed/);
    const recommender = await loadRecommender(updated);
    if (E.isLeft(recommender)) throw new Error(recommender.left.message);
    expect(recommender.right.users).toBe(61);
    expect(recommender.right.items).toBe(81);
    // The new user is served by the model, its own items left out.
    const forNew = recommender.right.recommend({ user: "999", k: 10 });
    if (E.isLeft(forNew)) throw new Error(forNew.left.message);
    expect(forNew.right.source).toBe("model");
    expect(forNew.right.items.map((r) => r.item)).not.toContain("1");
    // The new item is in the catalogue, scored, and recommendable to a user who has not taken it.
    const all = recommender.right.recommend({ user: "20", k: 80 });
    if (E.isLeft(all)) throw new Error(all.left.message);
    expect(all.right.items.map((r) => r.item)).toContain("new-item");
    // The original bundle is untouched; a second update into the same folder needs --overwrite.
    const original = await loadRecommender(join(models, "s-nokd-seed1"));
    expect(E.isRight(original) && original.right.users).toBe(60);
    const again = await run(
      "update",
      "--model",
      join(models, "s-nokd-seed1"),
      "--events",
      join(dir, "events.csv"),
      "--out",
      updated,
    );
    expect(again.errors).toEqual([`kdrec: error: ${updated}: exists; pass --overwrite to replace it`]);
    // Only MF bundles update.
    const wrong = await run(
      "update",
      "--model",
      join(dir, "nowhere"),
      "--events",
      join(dir, "events.csv"),
      "--out",
      join(dir, "x"),
    );
    expect(wrong.code).toBe(1);
  });

  it("distils from an external teacher's top-K file, and refuses a file that cannot serve", async () => {
    const dir = scratch();
    // Every user's list: items 1..6 (the synthetic data's original ids), best first.
    const lines = Array.from({ length: 60 }, (_, u) =>
      Array.from({ length: 6 }, (_, r) => `${u + 1}\t${r + 1}\t${(6 - r) / 2}`).join("\n"),
    );
    writeFileSync(join(dir, "teacher.tsv"), `user\titem\tscore\n${lines.join("\n")}\n`);
    const external = {
      ...tiny,
      teacher: { name: "elsewhere", architecture: "external", path: "teacher.tsv" },
      students: [tiny.students[2]!],
    };
    const config = join(dir, "run.json");
    writeFileSync(config, JSON.stringify(external));
    const out = join(dir, "out");
    const { code, errors } = await run("run", config, "--out", out);
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(results.models[0]).toMatchObject({ name: "elsewhere", architecture: "external", params: 0 });
    expect(results.models[1]).toMatchObject({ name: "s-rank", losses: ["bpr", "ranking-distillation"] });

    const tooFew = join(dir, "too-few.json");
    const deeper = structuredClone(external);
    (deeper.students[0]!.strategy.loss as { topK: number }).topK = 7;
    writeFileSync(tooFew, JSON.stringify(deeper));
    const refused = await run("run", tooFew, "--out", join(dir, "out-2"));
    expect(refused.errors).toEqual([
      `kdrec: error: ${tooFew}: teacher.path: the students need the teacher's top 7 per user; its file lists 6`,
    ]);
    expect(existsSync(join(dir, "out-2"))).toBe(false);

    writeFileSync(join(dir, "teacher.tsv"), "user\titem\tscore\n1\t999\t1\n");
    const broken = await run("run", config, "--out", join(dir, "out-3"));
    expect(broken.errors).toEqual([`kdrec: error: ${join(dir, "teacher.tsv")}:2: item "999" is not in the dataset`]);
    expect(existsSync(join(dir, "out-3"))).toBe(false);
  });

  it("trains a SASRec teacher and tower students, with soft labels and feature alignment", async () => {
    const out = join(scratch(), "out");
    const distil = (featureAlignment?: unknown) => ({
      kind: "one-way",
      loss: { kind: "soft-label", candidates: 10, temperature: 1 },
      rounds: 1,
      epochsPerRound: 2,
      finetune: { epochs: 1 },
      ...(featureAlignment === undefined ? {} : { featureAlignment }),
    });
    const tower = { architecture: "tower", dim: 4, groups: 2, perGroup: 4, ...quick };
    const config = {
      ...tiny,
      teacher: { name: "sasrec", architecture: "sasrec", dim: 8, blocks: 1, heads: 2, maxLength: 6, ...quick },
      students: [
        { name: "tower", ...tower, strategy: { kind: "none" } },
        { name: "tower-kd", ...tower, strategy: distil() },
        { name: "tower-kd-fa", ...tower, strategy: distil({ weight: 0.5, distance: "cosine" }) },
      ],
    };
    const { code, errors, out: table } = await run("run", configFile(config), "--out", out);
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(results.models.map((m: { architecture: string }) => m.architecture)).toEqual([
      "sasrec",
      "tower",
      "tower",
      "tower",
    ]);
    expect(results.models[3].losses).toEqual(["bpr", "soft-label-ce", "feature-alignment"]);
    expect(results.models[3].params).toBe(results.models[1].params); // alignment heads are not served
    expect(table).toMatch(/tower-kd-fa vs tower, test ndcg@10:/);
    const manifest = JSON.parse(readFileSync(join(out, "models", "sasrec-seed1", "model.json"), "utf8"));
    expect(manifest).toMatchObject({ format: "kdrec-model-bundle", architecture: "sasrec" });
  });

  it("distils a SASRec teacher's full-history scores into MF students, and trains a tower with recency", async () => {
    const out = join(scratch(), "out");
    const oneWay = (loss: unknown) => ({
      kind: "one-way",
      loss,
      rounds: 1,
      epochsPerRound: 2,
      finetune: { epochs: 1 },
    });
    const tower = { architecture: "tower", dim: 4, groups: 2, perGroup: 4, ...quick };
    const config = {
      ...tiny,
      teacher: {
        name: "sasrec",
        architecture: "sasrec",
        dim: 8,
        blocks: 1,
        heads: 2,
        maxLength: 6,
        scoring: "full-history",
        ...quick,
      },
      students: [
        { name: "mf-soft", dim: 4, ...quick, strategy: oneWay({ kind: "soft-label", candidates: 10 }) },
        { name: "mf-pl", dim: 4, ...quick, strategy: oneWay({ kind: "listwise-ranking", topK: 5, below: 10 }) },
        { name: "tower", ...tower, strategy: { kind: "none" } },
        { name: "tower-recency", ...tower, positions: true, strategy: { kind: "none" } },
      ],
    };
    const { code, errors } = await run("run", configFile(config), "--out", out);
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    const models = JSON.parse(readFileSync(join(out, "results.json"), "utf8")).models;
    expect(models[2].losses).toEqual(["bpr", "plackett-luce"]);
    expect(models[2].strategy).toMatch(/^one-way listwise-ranking \(α=0.8, top 5, 10 items below/);
    expect(models[4].params - models[3].params).toBe((2 + 4) * 4);
    // A full-history table has no features to align with: refused before training.
    const out2 = join(scratch(), "out2");
    const align = await run(
      "run",
      configFile({
        ...config,
        students: [
          {
            ...config.students[3],
            strategy: { ...oneWay({ kind: "soft-label", candidates: 10 }), featureAlignment: { weight: 1 } },
          },
        ],
      }),
      "--out",
      out2,
    );
    expect(align.errors[0]).toMatch(/students\[0\]\.strategy\.featureAlignment: .*\(not scoring "full-history"\)$/);
    expect(existsSync(out2)).toBe(false);
  });

  it("refuses a hidden size not divisible by the heads, options where they do not apply, and feature alignment without features", async () => {
    const out = join(scratch(), "out");
    const heads = await run(
      "run",
      configFile({ ...tiny, teacher: { name: "t", architecture: "sasrec", dim: 10, heads: 3 } }),
      "--out",
      out,
    );
    expect(heads.errors[0]).toMatch(/teacher\.heads: dim 10 \(the hidden size\) is not divisible by 3 heads$/);
    const misplaced = await run(
      "run",
      configFile({ ...tiny, teacher: { name: "t", dim: 8, scoring: "full-history" } }),
      "--out",
      out,
    );
    expect(misplaced.err).toMatch(/^ {2}teacher\.scoring: unknown key$/m);
    const noTower = await run(
      "run",
      configFile({ ...tiny, students: [{ name: "s", dim: 4, positions: true }] }),
      "--out",
      out,
    );
    expect(noTower.err).toMatch(/^ {2}students\[0\]\.positions: unknown key$/m);
    const align = await run(
      "run",
      configFile({
        ...tiny,
        students: [
          {
            name: "s",
            dim: 4,
            strategy: { kind: "one-way", loss: { kind: "soft-label" }, featureAlignment: { weight: 1 } },
          },
        ],
      }),
      "--out",
      out,
    );
    expect(align.errors[0]).toMatch(
      /students\[0\]\.strategy\.featureAlignment: feature alignment needs a tower student/,
    );
    // Representation distillation from an ensemble: refused before anything trains.
    const fromEnsemble = await run(
      "run",
      configFile({
        ...tiny,
        students: [
          { name: "a", dim: 4 },
          {
            name: "s",
            dim: 2,
            teacher: ["teacher", "a"],
            strategy: { kind: "one-way", loss: { kind: "soft-label" }, representation: { method: "htd" } },
          },
        ],
      }),
      "--out",
      out,
    );
    expect(fromEnsemble.errors[0]).toMatch(
      /students\[1\]\.strategy\.representation: representation distillation needs one teacher that exposes/,
    );
    // A feature MF on data without user features (the synthetic set has item categories only).
    const noUserFeatures = await run(
      "run",
      configFile({ ...tiny, students: [{ name: "s", architecture: "mf-features", dim: 4 }] }),
      "--out",
      out,
    );
    expect(noUserFeatures.errors[0]).toMatch(
      /students\[0\]\.userFeatures: the dataset has no user features \(set userFeatures: false/,
    );
    // The same for a tower that asks for user features.
    const towerWithUsers = await run(
      "run",
      configFile({ ...tiny, students: [{ name: "t", architecture: "tower", dim: 4, userFeatures: true }] }),
      "--out",
      out,
    );
    expect(towerWithUsers.errors[0]).toMatch(/students\[0\]\.userFeatures: the dataset has no user features/);
    expect(existsSync(out)).toBe(false);
  });

  it("composes strategies: a teacher → assistant → student chain, an ensemble, and two-way training", async () => {
    const out = join(scratch(), "out");
    const soft = tiny.students[1]!.strategy;
    const config = {
      ...tiny,
      students: [
        { name: "assistant", dim: 8, ...quick, strategy: soft },
        { name: "via-assistant", dim: 2, ...quick, strategy: soft, teacher: "assistant" },
        {
          name: "from-both",
          dim: 2,
          ...quick,
          strategy: soft,
          teacher: ["teacher", "assistant"],
          teacherWeights: [2, 1],
        },
        { name: "two-way", dim: 2, ...quick, strategy: { kind: "two-way", epochs: 3, candidates: 5 } },
        { name: "s-nokd-2", dim: 2, ...quick, strategy: { kind: "none" } },
        // Topology distillation from the assistant (an MF student: its vectors are exposed too).
        {
          name: "htd",
          dim: 2,
          ...quick,
          teacher: "assistant",
          strategy: { ...soft, representation: { method: "htd", experts: 2, entities: 16 } },
        },
      ],
    };
    const { code, errors, out: table } = await run("run", configFile(config), "--out", out);
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(results.models.map((m: { name: string; role: string }) => `${m.name}/${m.role}`)).toEqual([
      "teacher/teacher",
      "assistant/student",
      "via-assistant/student",
      "from-both/student",
      "two-way/student",
      "teacher~two-way/teacher",
      "s-nokd-2/student",
      "htd/student",
    ]);
    expect(results.models[7].strategy).toMatch(/htd ×1 \(2 experts/);
    expect(results.models[5].strategy).toMatch(/^two-way .*the teacher's side$/);
    expect(results.models[5].params).toBe((60 + 80) * 16);
    expect(table).toMatch(/two-way vs s-nokd-2, test ndcg@10:/);
    expect(existsSync(join(out, "models", "teacher~two-way-seed1", "weights.bin"))).toBe(true);
  });

  it("trains multi-task models and distils each head, reporting every task's metric", async () => {
    const out = join(scratch(), "out");
    const soft = tiny.students[1]!.strategy;
    const multi = { architecture: "multi-task", hidden: 8, ...quick };
    const config = {
      ...tiny,
      teacher: { name: "mt-teacher", dim: 16, bottom: "mmoe", experts: 2, ...multi },
      students: [
        { name: "mt-nokd", dim: 4, ...multi, strategy: { kind: "none" } },
        {
          name: "mt-kd",
          dim: 4,
          weighting: "uncertainty",
          ...multi,
          strategy: soft,
          taskDistillation: { rating: { alpha: 0.5 }, like: { alpha: 0.5, temperature: 2 } },
        },
      ],
    };
    const { code, errors, out: table } = await run("run", configFile(config), "--out", out);
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    for (const model of results.models) {
      expect(Object.keys(model.tasks)).toEqual(["rmse", "mae", "auc", "log_loss"]);
      expect(model.tasks.rmse).toBeGreaterThan(0);
    }
    expect(table).toMatch(/test rmse\s+test like-auc/);
  });

  it("refuses compositions that cannot run, naming the config path", async () => {
    const out = join(scratch(), "out");
    const soft = tiny.students[1]!.strategy;
    const refusal = async (students: unknown[], teacher: unknown = tiny.teacher) =>
      (await run("run", configFile({ ...tiny, teacher, students }), "--out", out)).errors[0];
    expect(
      await refusal([
        { name: "s", dim: 2, strategy: soft, teacher: "later" },
        { name: "later", dim: 4 },
      ]),
    ).toMatch(/students\[0\]\.teacher: "later" is not the run's teacher or an earlier student$/);
    expect(
      await refusal([{ name: "s", dim: 2, strategy: soft, teacher: ["teacher"], teacherWeights: [1, 2] }]),
    ).toMatch(/students\[0\]\.teacherWeights: 2 weight\(s\) for 1 named teacher\(s\)$/);
    expect(await refusal([{ name: "s", dim: 2, architecture: "tower", strategy: { kind: "two-way" } }])).toMatch(
      /students\[0\]\.strategy: two-way distillation trains the run's teacher with the student: both must be MF/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("refuses K larger than the catalogue before training", async () => {
    const out = join(scratch(), "out");
    const tooDeep = {
      ...tiny,
      students: [{ name: "s", dim: 4, strategy: { kind: "one-way", loss: { kind: "ranking", topK: 500 } } }],
    };
    const result = await run("run", configFile(tooDeep), "--out", out);
    expect(result.errors[0]).toMatch(
      /students\[0\]\.strategy\.loss\.topK: topK 500 must be smaller than the 80 items of the dataset$/,
    );
    const twoWayTooWide = { ...tiny, students: [{ name: "s", dim: 4, strategy: { kind: "two-way", candidates: 90 } }] };
    expect((await run("run", configFile(twoWayTooWide), "--out", out)).errors[0]).toMatch(
      /students\[0\]\.strategy\.candidates: candidates 90 must be smaller than the 80 items of the dataset$/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

import { readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeConfig, readTidy } from "@kdrec/core";
import {
  hasItem,
  itemFeatureLists,
  leaveLastOut,
  selectRows,
  syntheticDataset,
  userFeatureLists,
  userItemSets,
} from "@kdrec/data";
import { evaluateFullRanking } from "@kdrec/metrics";
import { folderSource, loadRecommender, modelJsonSchema, readBundle, topK } from "@kdrec/serving";
import { describeEachBackend, scratchFolders } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import { Ajv2020 } from "ajv/dist/2020.js";
import * as E from "fp-ts/lib/Either.js";
import { beforeAll, expect, it } from "vitest";
import { fileStore } from "./file_store.js";
import { defaultRegistry } from "./registry.js";
import type { ExperimentResult } from "./results.js";
import { prepareExperiment, runExperiment } from "./run.js";
import { experimentSpec } from "./spec.js";
import { tensorScorers } from "./tensor_scorers.js";

const scratch = scratchFolders("kdrec-bundle-");
const dataset = syntheticDataset({ seed: 9, users: 80, items: 120 });
const quick = { maxEpochs: 1, patience: 1, batchSize: 512 };
const config = {
  dataset: { format: "synthetic" },
  teacher: { name: "sasrec", architecture: "sasrec", dim: 8, blocks: 1, heads: 1, maxLength: 10, ...quick },
  students: [
    { name: "mf4", dim: 4, itemBias: true, ...quick },
    { name: "als4", architecture: "als", dim: 4, sweeps: 1 },
    { name: "tower4", architecture: "tower", dim: 4, positions: true, ...quick },
    { name: "neumf4", architecture: "neumf", dim: 4, mlpLayers: [8, 4], ...quick },
    { name: "mt4", architecture: "multi-task", dim: 4, hidden: 4, ...quick },
    { name: "bert8", architecture: "bert4rec", dim: 8, blocks: 1, heads: 1, maxLength: 10, ...quick },
    { name: "mff4", architecture: "mf-features", dim: 4, ...quick },
    { name: "towerc4", architecture: "tower", dim: 4, itemCategories: true, ...quick },
    { name: "toweru4", architecture: "tower", dim: 4, itemCategories: true, userFeatures: ["gender"], ...quick },
  ],
};
// Side information for the feature MF: three categories (one or two per item), two user columns.
const itemSide = {
  titles: dataset.interactions.itemIds.map((id) => `Title ${id}`),
  categoryNames: ["a", "b", "c"],
  categoryOffsets: Int32Array.from({ length: 121 }, (_, i) => i + Math.floor(i / 2)),
  categoryIndex: Int32Array.from({ length: 120 + 60 }, (_, k) => k % 3),
};
const userSide = {
  columns: {
    age: Array.from({ length: 80 }, (_, u) => String(18 + ((u * 7) % 50))),
    gender: Array.from({ length: 80 }, (_, u) => (u % 2 === 0 ? "F" : "M")),
  },
};
const side = {
  users: userFeatureLists(userSide, 80)!,
  items: itemFeatureLists(itemSide, 120)!,
};

const right = <A>(x: E.Either<{ message: string; location?: string }, A>): A => {
  if (E.isLeft(x)) throw new Error(`${x.left.location}: ${x.left.message}`);
  return x.right;
};

let out: string;
const bundles = () => readdirSync(join(out, "models")).sort();

// The bundle format is the same whatever the backend: written and read on the native one.
describeEachBackend("model bundles written by a run", () => {
  let result: ExperimentResult;
  beforeAll(async () => {
    out = scratch();
    const spec = right(decodeConfig(experimentSpec(), config, "bundle.json"));
    result = right(
      await runExperiment(spec, {
        // Titles, as a dataset with side information has them, travel into every bundle.
        data: { name: "synthetic", interactions: dataset.interactions, items: itemSide, users: userSide },
        store: fileStore(out, false),
      })(),
    );
  }, 120_000);

  it("refuse, before training, a user column the data does not have", () => {
    const bad = right(
      decodeConfig(
        experimentSpec(),
        { ...config, students: [{ name: "t", architecture: "tower", dim: 4, userFeatures: ["age", "zipp"] }] },
        "bad.json",
      ),
    );
    const refused = prepareExperiment(bad, {
      data: { name: "synthetic", interactions: dataset.interactions, items: itemSide, users: userSide },
      source: "bad.json",
    });
    expect(E.isLeft(refused) && `${refused.left.location}: ${refused.left.message}`).toBe(
      'bad.json: students[0].userFeatures: the dataset has no user column "zipp" (it has age, gender)',
    );
  });

  it("have a model.json that the committed JSON Schema (docs/kdrec-model-bundle.schema.json) accepts", async () => {
    const committed = JSON.parse(
      readFileSync(join(import.meta.dirname, "../../../docs/kdrec-model-bundle.schema.json"), "utf8"),
    );
    expect(committed, "run `npm run schema` after changing ModelJson").toEqual(modelJsonSchema());
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(committed);
    for (const dir of bundles()) {
      const model = JSON.parse(readFileSync(join(out, "models", dir, "model.json"), "utf8"));
      expect(validate(model) ? dir : JSON.stringify(validate.errors)).toBe(dir);
      expect(validate({ ...model, formatVersion: 0 })).toBe(false);
      expect(validate({ ...model, weightsManifest: [{ ...model.weightsManifest[0], paths: ["other.bin"] }] })).toBe(
        false,
      );
    }
  });

  it("rebuild, through the registry, the very model the run evaluated (same test metrics)", async () => {
    expect(bundles()).toEqual([
      "als4-seed1",
      "bert8-seed1",
      "mf4-seed1",
      "mff4-seed1",
      "mt4-seed1",
      "neumf4-seed1",
      "sasrec-seed1",
      "tower4-seed1",
      "towerc4-seed1",
      "toweru4-seed1",
    ]);
    const split = leaveLastOut(dataset.interactions);
    for (const dir of bundles()) {
      const bundle = right(await readBundle(folderSource(join(out, "models", dir))));
      const { architecture: name, spec } = bundle.model;
      const architecture = defaultRegistry.get(spec.architecture as string)!;
      expect(bundle.model.kdrecVersion).toMatch(/^\d+\.\d+\.\d+/);
      expect(bundle.model.data).toMatchObject({ name: "synthetic", users: 80, items: 120 });
      const built = right(architecture.create(spec as never, { seed: 1, split, side }));
      right(built.restore(bundle.weights.map((w) => ({ ...w, shape: [...w.shape] }))));
      const scorer = built.testScorer();
      const report = right(
        await evaluateFullRanking(scorer.score, { heldOut: split.test, exclude: [split.train, split.valid] }),
      );
      scorer.dispose();
      built.dispose();
      const reported = result.models.find((m) => `${m.name}-seed1` === dir)!;
      expect(report.summary["ndcg@10"]!.mean, `${dir} (${name})`).toBeCloseTo(reported.test["ndcg@10"]!, 6);
    }
  });

  it("serve, by original ids, the top 10 of the model's own TF.js scores with the user's items left out", async () => {
    const seen = userItemSets(dataset.interactions);
    const all = dataset.interactions;
    const none = selectRows(all, new Int32Array(0));
    const tensors = tf.memory().numTensors;
    for (const dir of bundles()) {
      const served = right(await loadRecommender(join(out, "models", dir), { scorers: tensorScorers() }));
      const bundle = right(await readBundle(folderSource(join(out, "models", dir))));
      const spec = bundle.model.spec;
      const built = right(
        defaultRegistry.get(spec.architecture as string)!.create(spec as never, {
          seed: 1,
          split: { protocol: { name: "leave-last-out" }, train: all, valid: none, test: none },
          side,
        }),
      );
      right(built.restore(bundle.weights.map((w) => ({ ...w, shape: [...w.shape] }))));
      // The model reads each user's whole history (sequence models), or its own rows.
      const reference = built.historyScorer?.(all) ?? built.testScorer();
      for (const user of [0, 7, 42]) {
        const scores = Float32Array.from(readTidy(() => reference.score(Int32Array.of(user))));
        const excluded = new Set(Array.from({ length: 120 }, (_, i) => i).filter((i) => hasItem(seen, user, i)));
        const expected = topK(scores, 10, excluded);
        const answer = right(served.recommend({ user: all.userIds[user]!, k: 10 }));
        expect(answer.source, dir).toBe("model");
        expect(
          answer.items.map((r) => r.item),
          dir,
        ).toEqual(Array.from(expected.items, (i) => all.itemIds[i]!));
        expect(answer.items.map((r) => r.score)).toEqual(Array.from(expected.scores, (s) => expect.closeTo(s, 4)));
        expect(answer.items.map((r) => r.title)).toEqual(answer.items.map((r) => `Title ${r.item}`));
      }
      reference.dispose();
      built.dispose();
      served.dispose();
    }
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it("serve a visitor from their history exactly as the known user with that history (tower, SASRec, BERT4Rec)", async () => {
    for (const dir of ["tower4-seed1", "sasrec-seed1", "bert8-seed1"]) {
      const served = right(await loadRecommender(join(out, "models", dir), { scorers: tensorScorers() }));
      const bundle = right(await readBundle(folderSource(join(out, "models", dir))));
      for (const user of [3, 50]) {
        const own = bundle.histories[user]!;
        const history = Array.from(own.items, (i) => bundle.items.ids[i]!);
        const visitor = right(served.recommend({ history, times: Array.from(own.times!), k: 10 }));
        const known = right(served.recommend({ user: bundle.users.ids[user]!, k: 10 }));
        expect(visitor.source, dir).toBe("model");
        expect(
          visitor.items.map((r) => r.item),
          dir,
        ).toEqual(known.items.map((r) => r.item));
        expect(visitor.items.map((r) => r.score)).toEqual(known.items.map((r) => expect.closeTo(r.score, 4)));
      }
      served.dispose();
    }
  });

  it("clamp k, flag the popularity fallback, and serve unknown users from a history where the model reads one", async () => {
    const mf = right(await loadRecommender(join(out, "models", "mf4-seed1")));
    const tower = right(await loadRecommender(join(out, "models", "tower4-seed1")));
    // k = 2^31: every item the user has not seen, at once (no 16 GB buffer).
    const user = dataset.interactions.userIds[0]!;
    const seen = right(await readBundle(folderSource(join(out, "models", "mf4-seed1")))).histories[0]!.items;
    const everything = right(mf.recommend({ user, k: 2 ** 31 }));
    expect(everything.items.length).toBe(120 - new Set(seen).size);
    for (const k of [0, -1, 2.5, Number.NaN]) expect(E.isLeft(mf.recommend({ user, k })), `k = ${k}`).toBe(true);
    const unknown = right(mf.recommend({ user: "nobody", k: 5 }));
    expect(unknown).toMatchObject({ source: "popularity", fallbackReason: 'unknown user "nobody"' });
    const history = dataset.interactions.itemIds.slice(0, 6);
    const fromHistory = right(tower.recommend({ history: [...history, "not-an-item"], k: 5 }));
    expect(fromHistory.source).toBe("model");
    expect(fromHistory.unknownItems).toEqual(["not-an-item"]);
    expect(fromHistory.items.some((r) => history.includes(r.item))).toBe(false);
    const mfHistory = right(mf.recommend({ history, k: 5 }));
    expect(mfHistory.source).toBe("popularity");
    expect(mfHistory.fallbackReason).toMatch(/cannot read a history/);
    const why = right(tower.explain(history));
    expect(why.weights.reduce((a, w) => a + w.weight, 0)).toBeCloseTo(1, 5);
    const most = why.weights.reduce((a, b) => (b.weight > a.weight ? b : a));
    expect(why.because?.item).toBe(most.item);
    expect(E.isLeft(mf.explain(history))).toBe(true);
  });

  it("are refused, naming the file, when truncated, mismatched, newer, non-finite or of another architecture", async () => {
    const copy = (name: string) => {
      const dir = scratch();
      for (const file of readdirSync(join(out, "models", name)))
        writeFileSync(join(dir, file), readFileSync(join(out, "models", name, file)));
      return dir;
    };
    const error = async (dir: string, options = {}) => {
      const loaded = await loadRecommender(dir, options);
      return E.isLeft(loaded) ? `${loaded.left.location}: ${loaded.left.message}` : "loaded";
    };
    const truncated = copy("mf4-seed1");
    truncateSync(join(truncated, "weights.bin"), 100);
    expect(await error(truncated)).toMatch(
      /weights\.bin: 100 bytes, but the manifest in model\.json describes \d+ \(truncated\)/,
    );

    const newer = copy("mf4-seed1");
    const model = JSON.parse(readFileSync(join(newer, "model.json"), "utf8"));
    writeFileSync(join(newer, "model.json"), JSON.stringify({ ...model, formatVersion: 2 }));
    expect(await error(newer)).toMatch(/model\.json: format version 2 was written by a newer kdrec/);

    const extra = copy("mf4-seed1");
    writeFileSync(join(extra, "model.json"), JSON.stringify({ ...model, surprise: 1 }));
    expect(await error(extra)).toMatch(/model\.json: invalid file \(1 problem\)\n.*surprise/);

    const nan = copy("mf4-seed1");
    const bytes = readFileSync(join(nan, "weights.bin"));
    bytes.writeFloatLE(Number.NaN, 8);
    writeFileSync(join(nan, "weights.bin"), bytes);
    expect(await error(nan)).toMatch(/weights\.bin: weight user_factors holds a non-finite value \(NaN\) at 2/);

    const ids = copy("mf4-seed1");
    const items = JSON.parse(readFileSync(join(ids, "items.json"), "utf8"));
    writeFileSync(join(ids, "items.json"), JSON.stringify({ ...items, ids: items.ids.slice(1) }));
    expect(await error(ids)).toMatch(/items\.json: 119 ids, but model\.json says 120 items/);

    expect(await error(copy("mf4-seed1"), { architecture: "tower" })).toMatch(
      /model\.json: holds a mf model, expected tower/,
    );
    expect(await error(copy("neumf4-seed1"))).toMatch(/model\.json: no scorer for architecture "neumf"/);
    expect(await error(join(out, "no-such-model"))).toMatch(/no-such-model\/model\.json: no such file/);
  });
}, ["tensorflow"]);

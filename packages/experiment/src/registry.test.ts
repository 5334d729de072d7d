// Every architecture of the default registry saves its weights and restores them into a fresh
// model that then scores exactly as the saved one; weights of another shape are refused. Its
// declared defaults are the model's own (a spec with them written out builds the same model), and
// the parts it declares for partial fine-tuning are parts its model can train alone.
import { itemFeatureLists, leaveLastOut, syntheticDataset, userFeatureLists } from "@kdrec/data";
import { describeEachBackend } from "@kdrec/testing";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { expect, it } from "vitest";
import { defaultRegistry } from "./registry.js";

const split = leaveLastOut(syntheticDataset({ seed: 2, users: 40, items: 50 }).interactions);
const specs: Record<string, Record<string, unknown>> = {
  mf: { dim: 4 },
  als: { dim: 4 },
  neumf: { dim: 4, mlpLayers: [8, 4] },
  sasrec: { dim: 4, blocks: 1, heads: 2, maxLength: 5 },
  bert4rec: { dim: 4, blocks: 1, heads: 2, maxLength: 5 },
  tower: { dim: 4, groups: 2, perGroup: 3, positions: true },
  "multi-task": { dim: 4, hidden: 4, bottom: "mmoe", experts: 2 },
  "mf-features": { dim: 4 },
};
// Side information for the feature MF: a category per item, a column per user.
const side = {
  items: itemFeatureLists(
    {
      categoryNames: ["a", "b"],
      categoryOffsets: Int32Array.from({ length: 51 }, (_, i) => i),
      categoryIndex: Int32Array.from({ length: 50 }, (_, i) => i % 2),
    },
    50,
  )!,
  users: userFeatureLists({ columns: { age: Array.from({ length: 40 }, (_, u) => String(20 + u)) } }, 40)!,
};
/** What an architecture is created with besides the seed and the split. */
const extra = (architecture: string) =>
  architecture === "tower" ? { alignTo: [4, 4] } : architecture === "mf-features" ? { side } : {};

describeEachBackend("the model registry", () => {
  it("holds every architecture, and each restores what it saved", () => {
    expect([...defaultRegistry.keys()].sort()).toEqual(Object.keys(specs).sort());
    for (const [architecture, options] of Object.entries(specs)) {
      const entry = defaultRegistry.get(architecture)!;
      const spec = { name: architecture, architecture, ...options };
      const create = (seed: number) => {
        // The tower with projections for feature alignment: every part it declares exists.
        const built = entry.create(spec, { seed, split, ...extra(architecture) });
        if (E.isLeft(built)) throw new Error(built.left.message);
        return built.right;
      };
      const tensors = tf.memory().numTensors;
      const saved = create(1);
      const fresh = create(2);
      const users = Int32Array.from({ length: 40 }, (_, u) => u);
      const scores = (model: typeof saved) => {
        const scorer = model.testScorer();
        const values = scorer.score(users);
        const out = values.dataSync().slice();
        values.dispose();
        scorer.dispose();
        return out;
      };
      const before = scores(fresh);
      expect(E.isRight(fresh.restore(saved.save().weights))).toBe(true);
      expect(Array.from(scores(fresh)), architecture).toEqual(Array.from(scores(saved)));
      expect(Array.from(scores(fresh))).not.toEqual(Array.from(before));
      const truncated = saved.save().weights.slice(1);
      expect(E.isLeft(fresh.restore(truncated)), architecture).toBe(true);

      const withDefaults = entry.create({ ...entry.defaults, ...spec }, { seed: 1, split, ...extra(architecture) });
      if (E.isLeft(withDefaults)) throw new Error(withDefaults.left.message);
      expect(withDefaults.right.save().config, architecture).toMatchObject(saved.save().config as object);
      expect(Array.from(scores(withDefaults.right)), architecture).toEqual(Array.from(scores(saved)));
      withDefaults.right.dispose();
      const model = saved.model as { trainableParts?: ReadonlyArray<string> };
      for (const part of entry.parts ?? []) expect(model.trainableParts, architecture).toContain(part);
      saved.dispose();
      fresh.dispose();
      expect(tf.memory().numTensors, architecture).toBe(tensors);
    }
  });
});

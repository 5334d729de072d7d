/**
 * Serving the architectures that run on TF.js (NeuMF, the multi-task model's ranking head,
 * SASRec and BERT4Rec): the model is created from the bundle's spec through the registry, its
 * weights restored, and its own scorer answers. Slower than the typed-array scorers of
 * `@kdrec/serving` (a tensor op per request), and what lets a student be served beside its teacher.
 * @module
 */
import { decodeConfig, initEngine, type KdrecError, kdrecError, strictType } from "@kdrec/core";
import type { Interactions, Split } from "@kdrec/data";
import type { Scorer } from "@kdrec/model-kit";
import {
  type History,
  type ItemScorer,
  type LoadOptions,
  loadRecommender,
  type ModelBundle,
  type Recommender,
  type ScorerFactory,
  TYPED_ARRAY_SCORERS,
} from "@kdrec/serving";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { type ArchitectureRegistry, defaultRegistry } from "./registry.js";

/** The bundle's histories as interactions (one row per history item), with its id tables. */
const bundleInteractions = (
  bundle: ModelBundle,
  histories: ModelBundle["histories"],
  userIds: ReadonlyArray<string>,
): Interactions => {
  const rows = histories.reduce((sum, h) => sum + h.items.length, 0);
  const users = new Int32Array(rows);
  const items = new Int32Array(rows);
  const timestamps = new Float64Array(rows);
  const withRatings = histories.length > 0 && histories.every((h) => h.ratings !== undefined);
  const ratings = new Float32Array(withRatings ? rows : 0);
  let r = 0;
  histories.forEach((h, u) => {
    h.items.forEach((item, j) => {
      users[r] = u;
      items[r] = item;
      // Without times, the position keeps the order (the sequence readers sort by time).
      timestamps[r] = h.times?.[j] ?? j;
      if (withRatings) ratings[r] = h.ratings![j]!;
      r++;
    });
  });
  return { users, items, timestamps, ...(withRatings ? { ratings } : {}), userIds, itemIds: bundle.items.ids };
};

/** One row of a scorer's scores, read back. */
const scoreRow = (scorer: Scorer, user: number): Float32Array => {
  const scores = scorer.score(Int32Array.of(user));
  const values = scores.dataSync() as Float32Array;
  scores.dispose();
  return values;
};

/** An item scorer for `bundle` through its architecture's TF.js model. */
const tensorScorer = (registry: ArchitectureRegistry, bundle: ModelBundle): E.Either<KdrecError, ItemScorer> => {
  const architecture = registry.get(bundle.model.architecture);
  if (architecture === undefined)
    return E.left(kdrecError("INVALID_DATA", `unknown architecture "${bundle.model.architecture}"`, "architecture"));
  // The architecture's own settings (a student's strategy and teachers are not the model's).
  const {
    architecture: _,
    strategy: _s,
    teacher: _t,
    teacherWeights: _w,
    compareTo: _c,
    ...own
  } = bundle.model.spec as Record<string, unknown>;
  const decoded = decodeConfig(
    strictType({ name: t.string, ...architecture.required }, architecture.optional, architecture.name),
    own,
    "spec",
  );
  if (E.isLeft(decoded)) return decoded;
  const spec = { ...decoded.right, architecture: architecture.name };
  const train = bundleInteractions(bundle, bundle.histories, bundle.users.ids);
  const none = bundleInteractions(bundle, [], []);
  const split: Split = {
    protocol: { name: "leave-last-out" },
    train,
    valid: { ...none, userIds: train.userIds },
    test: { ...none, userIds: train.userIds },
  };
  const built = architecture.create(spec as never, { seed: bundle.model.seed, split });
  if (E.isLeft(built)) return built;
  const model = built.right;
  const restored = model.restore(bundle.weights.map((w) => ({ ...w, shape: [...w.shape] })));
  if (E.isLeft(restored)) {
    model.dispose();
    return restored;
  }
  const scorer = model.testScorer();
  const { historyScorer } = model;
  return E.right({
    items: bundle.items.ids.length,
    scoreUser: (user) => scoreRow(scorer, user),
    ...(historyScorer === undefined
      ? {}
      : {
          scoreHistory: (history: History) => {
            const one = historyScorer(bundleInteractions(bundle, [history], ["request"]));
            const values = scoreRow(one, 0);
            one.dispose();
            return values;
          },
        }),
    dispose: () => {
      scorer.dispose();
      model.dispose();
    },
  });
};

/**
 * Scorers for every architecture of `registry` that `@kdrec/serving` does not serve as typed
 * arrays: pass them to `loadRecommender` to serve NeuMF, the multi-task model, SASRec or BERT4Rec.
 * Needs an initialised TF.js engine.
 * @example
 * ```ts
 * const teacher = await loadRecommender("runs/sasrec/models/sasrec-64-seed1", { scorers: tensorScorers() });
 * ```
 * @category Serving
 */
export const tensorScorers = (registry: ArchitectureRegistry = defaultRegistry): Record<string, ScorerFactory> =>
  Object.fromEntries(
    [...registry.values()]
      .filter((a) => a.teacherOnly !== true && TYPED_ARRAY_SCORERS[a.name] === undefined)
      .map((a) => [a.name, (bundle: ModelBundle) => tensorScorer(registry, bundle)] as const),
  );

/**
 * Loads any model bundle `kdrec run` writes (a folder or a URL) as a recommender: MF, ALS and the
 * tower as typed arrays, the others through TF.js — the engine is initialised only when the
 * bundle's architecture needs it.
 * @example
 * ```ts
 * const teacher = await loadAnyRecommender("runs/sasrec/models/sasrec-64-seed1");
 * ```
 * @category Serving
 */
export const loadAnyRecommender = (
  location: string,
  options: Omit<LoadOptions, "scorers"> & { readonly registry?: ArchitectureRegistry } = {},
): Promise<E.Either<KdrecError, Recommender>> => {
  const { registry, ...rest } = options;
  const withEngine = Object.fromEntries(
    Object.entries(tensorScorers(registry)).map(([name, factory]) => [
      name,
      async (bundle: ModelBundle) => {
        const engine = await initEngine()();
        return E.isLeft(engine) ? engine : factory(bundle);
      },
    ]),
  );
  return loadRecommender(location, { ...rest, scorers: withEngine });
};

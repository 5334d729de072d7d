/**
 * The students' entries in the model registry: gradient MF (`mf`, the default), MF trained by
 * weighted ALS (`als`), and the hierarchical attention tower (`tower`).
 * @module
 */
import { definedFields, integerInRange, kdrecError, numberInRange, positiveAtMost } from "@kdrec/core";
import { concatInteractions, type FeatureLists, featureColumns, numItems, numUsers } from "@kdrec/data";
import {
  type BuiltModel,
  builtVariableModel,
  defineArchitecture,
  frozenModel,
  type ModelContext,
  matchWeights,
  modelShape,
  type NamedWeight,
  TRAINING_DEFAULTS,
  trainingOptions,
} from "@kdrec/model-kit";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { alsModel, distilledPreferences, implicitPreferences } from "./als.js";
import { FeatureMatrixFactorization } from "./feature_mf.js";
import { HierarchicalAttentionTower } from "./hierarchical_tower.js";
import { MatrixFactorization } from "./matrix_factorization.js";

const dim = { dim: integerInRange(1, 4096) };
const regularised = { l2: numberInRange(0, 100), learningRate: positiveAtMost(10) };

/** Which user features a model reads: none (false), every column (true), or the columns named. */
const UserFeatureChoice = t.union([t.boolean, t.array(t.string)]);

/** The user features a choice selects from the data's (undefined: none). */
const chosenUserFeatures = (
  choice: boolean | ReadonlyArray<string> | undefined,
  users: FeatureLists | undefined,
): FeatureLists | undefined =>
  choice === undefined || choice === false || users === undefined
    ? undefined
    : choice === true
      ? users
      : featureColumns(users, choice);

/** An MF's tables as named weights (user_factors, item_factors, item_biases). */
const mfWeights = (model: MatrixFactorization): NamedWeight[] => {
  const { users, items, dim } = model.config;
  return [
    { name: "user_factors", shape: [users, dim], values: model.userFactors },
    { name: "item_factors", shape: [items, dim], values: model.itemFactors },
    ...(model.itemBiases === undefined ? [] : [{ name: "item_biases", shape: [items], values: model.itemBiases }]),
  ];
};

/** An MF over the split's users and items, initialised from `seed` (ALS reads no l2, rate or bias). */
const createMf = (
  spec: { dim: number; initStd?: number; itemBias?: boolean; l2?: number; learningRate?: number },
  seed: number,
  split: ModelContext["split"],
): MatrixFactorization =>
  MatrixFactorization.create({
    users: numUsers(split.train),
    items: numItems(split.train),
    dim: spec.dim,
    seed,
    l2: spec.l2 ?? 0,
    ...definedFields(spec, ["initStd", "itemBias"]),
    optimizer: { kind: "adam", learningRate: spec.learningRate ?? 1e-3 },
  });

/** What an MF model (gradient or ALS) is to an experiment, around `trained` (how it trains). */
const builtMf = (model: MatrixFactorization, trained: BuiltModel["model"], name: string): BuiltModel => ({
  model: trained,
  testScorer: () => model.allItemScorer(),
  save: () => ({
    architecture: "mf",
    config: model.config,
    parameters: model.parameterCount,
    weights: mfWeights(model),
  }),
  restore: (weights) =>
    E.map(([userFactors, itemFactors, itemBiases]: Float32Array[]) =>
      model.restore({
        userFactors: userFactors!,
        itemFactors: itemFactors!,
        ...(itemBiases === undefined ? {} : { itemBiases }),
      }),
    )(matchWeights(weights, mfWeights(model), name)),
  freeze: (teacherName) => {
    const { users, items } = model.config;
    return frozenModel(model, {
      name: teacherName,
      architecture: "mf",
      users,
      items,
      // Where the teacher cannot hold every user's scores: a copy of the tables (the model may
      // train on), scoring lists by dot products.
      listScorer: () => {
        const copy = model.grown(users, items);
        return (userIds, itemIds, width) => copy.scoreLists({ users: userIds, items: itemIds, width });
      },
      representations: { width: model.config.dim, users: model.userFactors, items: model.itemFactors },
      factorTables: {
        dim: model.config.dim,
        userFactors: model.userFactors,
        itemFactors: model.itemFactors,
        itemBiases: model.itemBiases,
      },
    });
  },
  dispose: () => undefined,
});

/**
 * Matrix factorization trained by gradient steps with sparse lazy Adam (the default architecture).
 * @category Registry
 */
export const mfArchitecture = defineArchitecture({
  name: "mf",
  parts: ["users", "items"],
  summary: "matrix factorization, trained by gradient steps (sparse lazy Adam)",
  required: dim,
  optional: { ...regularised, initStd: positiveAtMost(10), itemBias: t.boolean, ...trainingOptions },
  defaults: { l2: 0, learningRate: 1e-3, initStd: 0.1, itemBias: false, ...TRAINING_DEFAULTS },
  create: (spec, { seed, split }) => {
    const model = createMf(spec, seed, split);
    return E.right(builtMf(model, model, spec.name));
  },
  describe: (spec) => `MF d=${spec.dim}`,
});

/**
 * Matrix factorization trained by weighted ALS (closed form, a sweep per epoch). Distilled, it
 * mixes the teacher's top-K into its targets by α (a ranking loss gives the top-K).
 * @category Registry
 */
export const alsArchitecture = defineArchitecture({
  name: "als",
  summary: "matrix factorization trained by weighted ALS (closed form); distils the teacher's top-K",
  required: dim,
  optional: {
    /** Sweeps (each over users then items); default 15. */
    sweeps: integerInRange(1, 1000),
    /** λ of the ridge term; default 0.1. */
    regularization: numberInRange(0, 1000),
    /** Confidence added to observed interactions; default 10. */
    confidence: numberInRange(0, 1e6),
    initStd: positiveAtMost(10),
    /** Sweeps without a better validation NDCG@10 before training stops; default 3. */
    patience: integerInRange(1),
  },
  defaults: { sweeps: 15, regularization: 0.1, confidence: 10, initStd: 0.1, patience: 3 },
  create: (spec, { seed, split, teaching }) => {
    const confidence = spec.confidence ?? 10;
    if (teaching !== undefined && teaching.targets === undefined)
      return E.left(
        kdrecError(
          "INVALID_CONFIG",
          'a distilled ALS student needs the teacher\'s top-K (strategy.loss.kind "ranking")',
          `${spec.name}.strategy.loss`,
        ),
      );
    const entries =
      teaching?.targets === undefined
        ? implicitPreferences(split.train, confidence)
        : distilledPreferences(split.train, teaching.targets, teaching.alpha, confidence);
    const model = createMf({ dim: spec.dim, ...definedFields(spec, ["initStd"]) }, seed, split);
    return E.right({
      ...builtMf(model, alsModel(model, entries, spec.regularization ?? 0.1), spec.name),
      schedule: {
        phase: teaching === undefined ? "train" : "distill",
        epochs: spec.sweeps ?? 15,
        patience: spec.patience ?? 3,
      },
    });
  },
  describe: (spec) => `ALS d=${spec.dim}`,
});

/**
 * The hierarchical attention tower: item embeddings and a two-level attention user tower over the
 * user's sessions (inductive: no per-user parameters).
 * @category Registry
 */
export const towerArchitecture = defineArchitecture({
  name: "tower",
  // The item side (table, biases, recency), the two pooling levels, the user head, the projections.
  parts: ["items", "itemBias", "positions", "withinGroup", "acrossGroups", "user", "align"],
  summary: "the hierarchical attention tower over the user's sessions (no user table)",
  required: dim,
  optional: {
    ...regularised,
    /** Sessions read (default 8). */
    groups: integerInRange(1, 256),
    /** Items per session (default 8). */
    perGroup: integerInRange(1, 256),
    /** Session gap in seconds (default 3,600). */
    sessionGap: numberInRange(0, 1e12),
    /** Learned recency embeddings within and across sessions (default false). */
    positions: t.boolean,
    /** Item vectors plus the mean of their categories' rows (default false; needs categories in the data). */
    itemCategories: t.boolean,
    /**
     * User vectors plus the mean of the user's features' rows: `true` for every user column of
     * the data, or the columns to read (`["age", "gender", "occupation"]`); default false.
     */
    userFeatures: UserFeatureChoice,
    ...trainingOptions,
  },
  defaults: {
    l2: 0,
    learningRate: 1e-3,
    groups: 8,
    perGroup: 8,
    sessionGap: 3600,
    positions: false,
    itemCategories: false,
    userFeatures: false,
    ...TRAINING_DEFAULTS,
  },
  create: (spec, { seed, split, alignTo, side }) => {
    const model = HierarchicalAttentionTower.create(
      {
        items: numItems(split.train),
        dim: spec.dim,
        seed,
        l2: spec.l2 ?? 0,
        learningRate: spec.learningRate ?? 1e-3,
        ...definedFields(spec, ["groups", "perGroup", "sessionGap", "positions"]),
        ...(alignTo === undefined ? {} : { alignTo: [...alignTo] }),
      },
      split.train,
      spec.itemCategories === true ? side?.items : undefined,
      chosenUserFeatures(spec.userFeatures, side?.users),
    );
    return E.right(
      builtVariableModel(model, {
        name: spec.name,
        architecture: "tower",
        testScorer: () => model.allItemScorer(concatInteractions(split.train, split.valid)),
        freeze: (name) =>
          frozenModel(model, {
            name,
            architecture: "tower",
            users: numUsers(split.train),
            items: numItems(split.train),
          }),
      }),
    );
  },
  describe: (spec) => `tower d=${spec.dim}`,
});

/**
 * MF with side information (`mf-features`): users' and items' own rows plus the means of their
 * features' rows (user columns, item categories, as the dataset has them); items never seen in
 * training are scored from their categories. `userFeatures` / `itemFeatures`: false leaves a side
 * out (both false: the same model and optimizer without side information, for comparisons).
 * @category Students
 */
export const featureMfArchitecture = defineArchitecture({
  name: "mf-features",
  summary: "matrix factorization with user and item side information (features' rows added to each vector)",
  required: dim,
  optional: {
    initStd: positiveAtMost(10),
    ...regularised,
    userFeatures: UserFeatureChoice,
    itemFeatures: t.boolean,
    ...trainingOptions,
  },
  defaults: { initStd: 0.1, l2: 0, learningRate: 1e-3, userFeatures: true, itemFeatures: true, ...TRAINING_DEFAULTS },
  parts: ["users", "items", "userFeatures", "itemFeatures"],
  create: (spec, context) => {
    const { split, side } = context;
    const { users, items } = modelShape(spec, context);
    const features = {
      ...definedFields({ users: chosenUserFeatures(spec.userFeatures ?? true, side?.users) }, ["users"]),
      ...(spec.itemFeatures === false || side?.items === undefined ? {} : { items: side.items }),
    };
    const model = FeatureMatrixFactorization.create(
      { ...modelShape(spec, context), ...definedFields(spec, ["initStd"]) },
      features,
      split.train,
    );
    return E.right(
      builtVariableModel(model, {
        name: spec.name,
        architecture: "mf-features",
        testScorer: () => model.allItemScorer(),
        freeze: (name) => frozenModel(model, { name, architecture: "mf-features", users, items }),
      }),
    );
  },
  describe: (spec) =>
    `MF d=${spec.dim} with ${[spec.userFeatures === false ? "" : "user", spec.itemFeatures === false ? "" : "item"].filter((x) => x !== "").join(" and ") || "no"} features`,
});

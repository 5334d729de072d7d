/**
 * The teachers' entries in the model registry: NeuMF (`neumf`) and the sequential transformers
 * SASRec (`sasrec`, causal) and BERT4Rec (`bert4rec`, bidirectional, cloze).
 * @module
 */
import { definedFields, integerInRange, kdrecError, numberInRange, positiveAtMost } from "@kdrec/core";
import { concatInteractions, numItems, numUsers } from "@kdrec/data";
import {
  builtVariableModel,
  defineArchitecture,
  frozenModel,
  modelShape,
  TRAINING_DEFAULTS,
  trainingOptions,
} from "@kdrec/model-kit";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { NeuMF } from "./neumf.js";
import { SequentialTransformer } from "./sequential_transformer.js";

/**
 * NeuMF (GMF + MLP, He et al., WWW 2017).
 * @category Registry
 */
export const neumfArchitecture = defineArchitecture({
  name: "neumf",
  summary: "NeuMF: generalised MF and an MLP tower over user and item embeddings",
  required: { dim: integerInRange(1, 4096) },
  optional: {
    /** Widths of the MLP tower; default [64, 32, 16]. */
    mlpLayers: t.array(integerInRange(2, 4096)),
    initStd: positiveAtMost(10),
    l2: numberInRange(0, 100),
    learningRate: positiveAtMost(10),
    ...trainingOptions,
  },
  defaults: { mlpLayers: [64, 32, 16], initStd: 0.01, l2: 0, learningRate: 1e-3, ...TRAINING_DEFAULTS },
  create: (spec, context) => {
    const { users, items } = modelShape(spec, context);
    const model = NeuMF.create({ ...modelShape(spec, context), ...definedFields(spec, ["mlpLayers", "initStd"]) });
    return E.right(
      builtVariableModel(model, {
        name: spec.name,
        architecture: "neumf",
        testScorer: () => model.allItemScorer(),
        freeze: (name) => frozenModel(model, { name, architecture: "neumf", users, items }),
      }),
    );
  },
  describe: (spec) => `NeuMF d=${spec.dim}`,
});

/** The entry of a sequential transformer reading histories in `direction`. */
const transformerArchitecture = (name: "sasrec" | "bert4rec", direction: "causal" | "bidirectional", summary: string) =>
  defineArchitecture({
    name,
    summary,
    /** The hidden size. */
    required: { dim: integerInRange(1, 4096) },
    optional: {
      /** Blocks; default 2. */
      blocks: integerInRange(1, 64),
      /** Heads; default 2 (must divide `dim`). */
      heads: integerInRange(1, 64),
      /** History length; default 50. */
      maxLength: integerInRange(2, 4096),
      /** Dropout; default 0.2. */
      dropout: numberInRange(0, 0.9),
      learningRate: positiveAtMost(10),
      /**
       * As a teacher: `per-row` (default) scores each training row from the history before it;
       * `full-history` scores every user once from the whole training history and teaches from
       * that table (what a student without sequence input can learn; no features).
       */
      scoring: t.keyof({ "per-row": null, "full-history": null }),
      ...trainingOptions,
    },
    defaults: {
      blocks: 2,
      heads: 2,
      maxLength: 50,
      dropout: 0.2,
      learningRate: 1e-3,
      scoring: "per-row",
      ...TRAINING_DEFAULTS,
    },
    check: (spec) => {
      const heads = spec.heads ?? 2;
      return spec.dim % heads === 0
        ? E.right(undefined)
        : E.left(
            kdrecError(
              "INVALID_CONFIG",
              `dim ${spec.dim} (the hidden size) is not divisible by ${heads} heads`,
              "heads",
            ),
          );
    },
    create: (spec, { seed, split }) => {
      const users = numUsers(split.train);
      const model = SequentialTransformer.create(
        {
          items: numItems(split.train),
          direction,
          hidden: spec.dim,
          seed,
          learningRate: spec.learningRate ?? 1e-3,
          ...definedFields(spec, ["blocks", "heads", "maxLength", "dropout"]),
        },
        split.train,
      );
      return E.right(
        builtVariableModel(model, {
          name: spec.name,
          architecture: name,
          testScorer: () => model.allItemScorer(concatInteractions(split.train, split.valid)),
          historyScorer: (histories) => model.allItemScorer(histories),
          // Full-history scoring freezes the model by its full-history score table like any other.
          freeze: (teacher) =>
            spec.scoring === "full-history"
              ? frozenModel(model, { name: teacher, architecture: name, users, items: numItems(split.train) })
              : model.frozenTeacher({ name: teacher, users }),
        }),
      );
    },
    describe: (spec) => `${name === "sasrec" ? "SASRec" : "BERT4Rec"} d=${spec.dim}`,
  });

/**
 * SASRec: a causal transformer over the user's history.
 * @category Registry
 */
export const sasrecArchitecture = transformerArchitecture(
  "sasrec",
  "causal",
  "SASRec: a causal self-attention transformer over the user's history (dim is the hidden size)",
);

/**
 * BERT4Rec: a bidirectional transformer trained by cloze.
 * @category Registry
 */
export const bert4recArchitecture = transformerArchitecture(
  "bert4rec",
  "bidirectional",
  "BERT4Rec: a bidirectional transformer over the user's history, trained by cloze (dim is the hidden size)",
);

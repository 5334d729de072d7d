/**
 * The configuration of `kdrec run`: one JSON file (an io-ts codec) naming the dataset, the
 * protocol, the teacher and the students with their strategies.
 * @module
 */
import { integerInRange, numberInRange, positiveNumber, unitInterval } from "@kdrec/core";
import { DatasetSpec, SplitProtocol } from "@kdrec/data";
import { TaskWeights } from "@kdrec/heads";
import { Strategy } from "@kdrec/strategies";
import * as t from "io-ts";

/** A matrix-factorization model and how to train it. */
export const ModelSpec = t.intersection(
  [
    t.type({ name: t.string, dim: integerInRange(1, 4096) }),
    t.partial({
      /**
       * `mf` (gradient training, the default), `als` (closed-form weighted ALS), `neumf` (GMF + MLP),
       * the sequential transformers `sasrec` (causal) and `bert4rec` (bidirectional, cloze) — for
       * these `dim` is the hidden size — or `tower` (the hierarchical attention tower).
       */
      architecture: t.keyof({
        mf: null,
        als: null,
        neumf: null,
        sasrec: null,
        bert4rec: null,
        tower: null,
        "multi-task": null,
      }),
      /** Multi-task: the bottom (`shared-bottom` or `mmoe`), its width, MMoE's experts, and task weighting. */
      bottom: t.keyof({ "shared-bottom": null, mmoe: null }),
      hidden: integerInRange(1, 4096),
      experts: integerInRange(1, 64),
      weighting: t.keyof({ fixed: null, uncertainty: null }),
      taskWeights: TaskWeights,
      /** Tower: sessions read (default 8), items per session (default 8), session gap in seconds (default 3,600). */
      groups: integerInRange(1, 256),
      perGroup: integerInRange(1, 256),
      sessionGap: numberInRange(0, 1e12),
      /** Tower: learned recency embeddings within and across sessions (default false). */
      positions: t.boolean,
      /** Transformers: blocks (default 2), heads (default 2; must divide `dim`), history length (default 50), dropout (default 0.2). */
      blocks: integerInRange(1, 64),
      heads: integerInRange(1, 64),
      maxLength: integerInRange(2, 4096),
      dropout: numberInRange(0, 0.9),
      /**
       * Transformers as teachers: `per-row` (default) scores each training row from the history
       * before it; `full-history` scores every user once from the whole training history and
       * teaches from that table (what a student without sequence input can learn; no features).
       */
      scoring: t.keyof({ "per-row": null, "full-history": null }),
      /** NeuMF: widths of the MLP tower; default [64, 32, 16]. */
      mlpLayers: t.array(integerInRange(2, 4096)),
      /** ALS: sweeps (each one over users then items); default 15. */
      sweeps: integerInRange(1, 1000),
      /** ALS: λ of the ridge term; default 0.1. */
      regularization: numberInRange(0, 1000),
      /** ALS: confidence added to observed interactions; default 10. */
      confidence: numberInRange(0, 1e6),
      l2: numberInRange(0, 100),
      learningRate: positiveNumber,
      initStd: positiveNumber,
      itemBias: t.boolean,
      batchSize: integerInRange(1),
      patience: integerInRange(1),
      maxEpochs: integerInRange(1),
    }),
  ],
  "ModelSpec",
);
export type ModelSpec = t.TypeOf<typeof ModelSpec>;

/**
 * A teacher trained elsewhere: per-user top-K lists with scores (`user item score` lines, tab or
 * comma separated, the dataset's original ids), at `path` relative to the config file.
 */
export const ExternalTeacherSpec = t.type(
  { name: t.string, architecture: t.literal("external"), path: t.string },
  "ExternalTeacherSpec",
);
export type ExternalTeacherSpec = t.TypeOf<typeof ExternalTeacherSpec>;

export const TeacherSpec = t.union([ModelSpec, ExternalTeacherSpec], "TeacherSpec");
export type TeacherSpec = t.TypeOf<typeof TeacherSpec>;

export const StudentSpec = t.intersection(
  [
    ModelSpec,
    t.partial({
      strategy: Strategy,
      /**
       * Whom the student learns from: the run's teacher (default), an earlier student by name (a
       * multi-level chain: teacher → assistant → student), or several names (a weighted ensemble).
       */
      teacher: t.union([t.string, t.array(t.string)]),
      /** Ensemble weights, one per name in `teacher`; default equal. */
      teacherWeights: t.array(numberInRange(0, 1e6)),
      /**
       * Multi-task students of a multi-task teacher: each head's distillation (rating: α; like: α
       * and T); the ranking head distils by `strategy`.
       */
      taskDistillation: t.partial({
        rating: t.type({ alpha: unitInterval }),
        like: t.intersection([t.type({ alpha: unitInterval }), t.partial({ temperature: positiveNumber })]),
      }),
    }),
  ],
  "StudentSpec",
);
export type StudentSpec = t.TypeOf<typeof StudentSpec>;

export const RunConfig = t.intersection(
  [
    t.type({ dataset: DatasetSpec, teacher: TeacherSpec, students: t.array(StudentSpec) }),
    t.partial({
      protocol: SplitProtocol,
      /** One run per seed; default [1]. `--seeds N` overrides with 1..N. */
      seeds: t.array(integerInRange(0)),
      minRating: numberInRange(-1e9, 1e9),
    }),
  ],
  "RunConfig",
);
export type RunConfig = t.TypeOf<typeof RunConfig>;

/** The experiment `kdrec run` makes with no config: small, on the embedded synthetic data (about a minute). */
export const DEFAULT_RUN: RunConfig = {
  dataset: { format: "synthetic", options: { seed: 42, users: 600, items: 1000 } },
  protocol: { name: "leave-last-out" },
  seeds: [1],
  teacher: { name: "teacher-mf64", dim: 64, l2: 1e-3, learningRate: 0.005, patience: 5, maxEpochs: 40 },
  students: [
    { name: "mf8-nokd", dim: 8, learningRate: 0.005, patience: 5, maxEpochs: 40, strategy: { kind: "none" } },
    {
      name: "mf8-soft-label",
      dim: 8,
      learningRate: 0.005,
      patience: 5,
      strategy: {
        kind: "one-way",
        loss: { kind: "soft-label", temperature: 0.5, candidates: 100 },
        alpha: 0.8,
        rounds: 2,
        epochsPerRound: 15,
        finetuneEpochs: 5,
      },
    },
  ],
};

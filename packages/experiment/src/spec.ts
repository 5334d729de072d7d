/**
 * The experiment spec: the dataset, the protocol, the seeds, the teacher and the students with
 * their strategies. Models are a union of the registry's architectures, tagged by `architecture`
 * (`mf` when absent): each accepts its own options only, so a misspelt key or an option of
 * another architecture is a decoding error at its path, with the key most likely meant.
 * @module
 */
import {
  fileSafeName,
  integerInRange,
  type JsonSchema,
  jsonSchemaOf,
  numberInRange,
  strictType,
  taggedUnion,
} from "@kdrec/core";
import { DatasetSpec, SplitProtocol } from "@kdrec/data";
import type { ModelSpecBase } from "@kdrec/model-kit";
import { Strategy } from "@kdrec/strategies";
import * as t from "io-ts";
import { type ArchitectureRegistry, defaultRegistry } from "./registry.js";

/**
 * A model's spec as decoded: its name, its architecture and that architecture's options.
 * @category Experiment
 */
export type ModelSpec = ModelSpecBase & {
  readonly dim?: number;
  readonly batchSize?: number;
  readonly patience?: number;
  readonly maxEpochs?: number;
} & Readonly<Record<string, unknown>>;

/**
 * A teacher trained elsewhere: per-user top-K lists with scores (`user item score` lines, tab or
 * comma separated, the dataset's original ids), at `path` relative to the config file.
 * @category Experiment
 */
export interface ExternalTeacherSpec {
  readonly name: string;
  readonly architecture: "external";
  readonly path: string;
}

/**
 * What a student adds to its model spec: how it is taught, and by whom.
 * @category Experiment
 */
export interface StudentFields {
  readonly strategy?: Strategy;
  /**
   * Whom the student learns from: the run's teacher (default), an earlier student by name (a
   * multi-level chain: teacher → assistant → student), or several names (a weighted ensemble).
   */
  readonly teacher?: string | ReadonlyArray<string>;
  /** Ensemble weights, one per name in `teacher`; default equal. */
  readonly teacherWeights?: ReadonlyArray<number>;
  /**
   * The earlier student this one is tested against (paired tests in the results); default the
   * undistilled student of the same architecture and size. Does not change training.
   */
  readonly compareTo?: string;
}

/**
 * A student's spec.
 * @category Experiment
 */
export type StudentSpec = ModelSpec & StudentFields;

/**
 * An experiment: what `kdrec run` reads from its JSON config.
 * @category Experiment
 */
export interface ExperimentSpec {
  /** The config's JSON Schema, for editors (`docs/kdrec-config.schema.json`); ignored by kdrec. */
  readonly $schema?: string;
  readonly dataset: DatasetSpec;
  readonly protocol?: SplitProtocol;
  /** One run per seed; default [1]. */
  readonly seeds?: ReadonlyArray<number>;
  /** Keeps interactions rated at least this. */
  readonly minRating?: number;
  readonly teacher: ModelSpec | ExternalTeacherSpec;
  readonly students: ReadonlyArray<StudentSpec>;
}

const studentFields = {
  strategy: Strategy,
  teacher: t.union([t.string, t.array(t.string)]),
  teacherWeights: t.array(numberInRange(0, 1e6)),
  compareTo: t.string,
};

// Names become file names (`DIR/models/<name>-seed1/`): nothing that could leave the run's folder.
const name = { name: fileSafeName };

/** The architectures as members of a union tagged by `architecture` (with `extra` keys each). */
const members = (registry: ArchitectureRegistry, extra: t.Props, teacher: boolean) => () =>
  new Map([
    ...[...registry.values()]
      .filter((entry) => teacher || entry.teacherOnly !== true)
      .map((entry): [string, { required: t.Props; optional: t.Props }] => [
        entry.name,
        { required: { ...name, ...entry.required }, optional: { ...entry.optional, ...extra } },
      ]),
    ...(teacher ? [["external", { required: { ...name, path: t.string }, optional: {} }] as const] : []),
  ]);

/**
 * The codec of an experiment spec over `registry`'s architectures.
 * @example
 * ```ts
 * decodeConfig(experimentSpec(), { dataset: { format: "synthetic" }, teacher: { name: "t", dim: 32 }, students: [] });
 * ```
 * @category Experiment
 */
export const experimentSpec = (
  registry: ArchitectureRegistry = defaultRegistry,
): t.Type<ExperimentSpec, unknown, unknown> =>
  strictType(
    {
      dataset: DatasetSpec,
      teacher: taggedUnion<ModelSpec | ExternalTeacherSpec>(
        "architecture",
        members(registry, {}, true),
        "TeacherSpec",
        "mf",
      ),
      students: t.array(
        taggedUnion<StudentSpec>("architecture", members(registry, studentFields, false), "StudentSpec", "mf"),
      ),
    },
    {
      $schema: t.string,
      protocol: SplitProtocol,
      seeds: t.array(integerInRange(0)),
      minRating: numberInRange(-1e9, 1e9),
    },
    "ExperimentSpec",
  ) as unknown as t.Type<ExperimentSpec, unknown, unknown>;

/**
 * The small experiment on the embedded synthetic data (about half a minute): an MF-64 teacher,
 * an MF-8 student alone and one distilled with soft labels.
 * @category Experiment
 */
export const DEFAULT_EXPERIMENT: ExperimentSpec = {
  dataset: { format: "synthetic", options: { seed: 42, users: 600, items: 1000 } },
  protocol: { name: "leave-last-out" },
  seeds: [1],
  teacher: {
    name: "teacher-mf64",
    architecture: "mf",
    dim: 64,
    l2: 1e-3,
    learningRate: 0.005,
    patience: 5,
    maxEpochs: 40,
  },
  students: [
    {
      name: "mf8-nokd",
      architecture: "mf",
      dim: 8,
      learningRate: 0.005,
      patience: 5,
      maxEpochs: 40,
      strategy: { kind: "none" },
    },
    {
      name: "mf8-soft-label",
      architecture: "mf",
      dim: 8,
      learningRate: 0.005,
      patience: 5,
      strategy: {
        kind: "one-way",
        loss: { kind: "soft-label", temperature: 0.5, candidates: 100 },
        alpha: 0.8,
        rounds: 2,
        epochsPerRound: 15,
        finetune: { epochs: 5 },
      },
    },
  ],
};

/**
 * The teachers a student names (`teacher`: one name or several), or undefined for the run's teacher.
 * @category Experiment
 */
export const teachersOf = (student: StudentSpec): string[] | undefined =>
  student.teacher === undefined
    ? undefined
    : typeof student.teacher === "string"
      ? [student.teacher]
      : [...student.teacher];

/**
 * Whether a teacher spec is an external top-K file.
 * @category Experiment
 */
export const isExternal = (spec: ModelSpec | ExternalTeacherSpec): spec is ExternalTeacherSpec =>
  spec.architecture === "external";

/**
 * The JSON Schema of `kdrec run`'s config over `registry`'s architectures and the loss table,
 * generated from the same codecs that decode configs (`docs/kdrec-config.schema.json` is this,
 * for the default registry; a test keeps it current).
 * @example
 * ```ts
 * writeFileSync("kdrec-config.schema.json", JSON.stringify(experimentJsonSchema(), null, 2));
 * ```
 * @category Experiment
 */
export const experimentJsonSchema = (registry: ArchitectureRegistry = defaultRegistry): JsonSchema => ({
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "kdrec run config",
  description:
    "An experiment: the dataset, the protocol, the seeds, the teacher and the students. Generated from kdrec's codecs.",
  ...jsonSchemaOf(experimentSpec(registry)),
});

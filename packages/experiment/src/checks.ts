/**
 * Checks across an experiment's fields, all made before any model trains: who teaches whom
 * (chains name earlier students; ensemble weights match; names are unique), what a strategy
 * needs of its student and teacher (two-way: both MF; feature alignment: a tower and a per-row
 * transformer; a distilled ALS student: the teacher's top-K), each architecture's own checks, and
 * the sizes a strategy draws against the dataset's catalogue.
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import { featureColumnNames, type SideFeatures } from "@kdrec/data";
import { unknownPartsProblem } from "@kdrec/model-kit";
import { catalogueDraws, checkStrategy, teacherTopKNeeded } from "@kdrec/strategies";
import * as E from "fp-ts/lib/Either.js";
import type { ArchitectureRegistry } from "./registry.js";
import { type ExperimentSpec, isExternal, type ModelSpec, teachersOf } from "./spec.js";

const SEQUENTIAL = new Set(["sasrec", "bert4rec"]);

/**
 * Every cross-field problem of `spec`, the first found, located at `source: path`.
 * @category Experiment
 */
export const checkExperiment = (
  spec: ExperimentSpec,
  registry: ArchitectureRegistry,
  source: string,
): E.Either<KdrecError, void> => {
  const fail = (message: string, path: string) => E.left(kdrecError("INVALID_CONFIG", message, `${source}: ${path}`));
  const { teacher } = spec;
  for (const [path, model] of modelsByPath(spec)) {
    const checked = registry.get(model.architecture)?.check?.(model);
    if (checked !== undefined && E.isLeft(checked))
      return fail(checked.left.message, `${path}.${checked.left.location}`);
  }
  const known = new Set([teacher.name]);
  // Every model's architecture by name: what a student's named teacher is.
  const architectures = new Map<string, string>([[teacher.name, teacher.architecture]]);
  for (const [k, student] of spec.students.entries()) {
    const at = `students[${k}]`;
    if (known.has(student.name))
      return fail(`the name "${student.name}" is taken by the teacher or an earlier student`, `${at}.name`);
    const names = teachersOf(student);
    for (const name of names ?? [])
      if (!known.has(name)) return fail(`"${name}" is not the run's teacher or an earlier student`, `${at}.teacher`);
    if (student.teacherWeights !== undefined) {
      if (names === undefined || student.teacherWeights.length !== names.length)
        return fail(
          `${student.teacherWeights.length} weight(s) for ${names?.length ?? 0} named teacher(s)`,
          `${at}.teacherWeights`,
        );
      if (!student.teacherWeights.some((w) => w > 0))
        return fail("the weights must not all be zero", `${at}.teacherWeights`);
    }
    if (student.taskDistillation !== undefined && (teacher.architecture !== "multi-task" || names !== undefined))
      return fail(
        'per-task distillation needs a multi-task student of the run\'s multi-task teacher (architecture "multi-task")',
        `${at}.taskDistillation`,
      );
    const strategy = student.strategy ?? { kind: "none" };
    const strategyProblem = checkStrategy(strategy);
    if (E.isLeft(strategyProblem))
      return fail(strategyProblem.left.message, `${at}.strategy.${strategyProblem.left.location}`);
    const finetuneParts = strategy.kind === "one-way" ? strategy.finetune?.train : undefined;
    const partsProblem =
      finetuneParts === undefined
        ? undefined
        : unknownPartsProblem(
            finetuneParts,
            registry.get(student.architecture)?.parts ?? [],
            `a ${student.architecture} model`,
          );
    if (partsProblem !== undefined) return fail(partsProblem, `${at}.strategy.finetune.train`);
    if (
      strategy.kind === "two-way" &&
      (teacher.architecture !== "mf" || student.architecture !== "mf" || names !== undefined)
    )
      return fail(
        'two-way distillation trains the run\'s teacher with the student: both must be MF (architecture "mf")',
        `${at}.strategy`,
      );
    if (strategy.kind === "one-way" && strategy.featureAlignment !== undefined) {
      const where = `${at}.strategy.featureAlignment`;
      if (student.architecture !== "tower")
        return fail('feature alignment needs a tower student (architecture "tower")', where);
      if (!SEQUENTIAL.has(teacher.architecture) || (teacher as ModelSpec).scoring === "full-history")
        return fail(
          'feature alignment needs a sequential transformer teacher (sasrec or bert4rec) that scores per row (not scoring "full-history")',
          where,
        );
    }
    if (strategy.kind === "one-way" && strategy.representation !== undefined) {
      const where = `${at}.strategy.representation`;
      if (student.architecture !== "mf")
        return fail(
          "representation distillation needs a student that exposes its users' and items' vectors (architecture \"mf\")",
          where,
        );
      const teachers = names ?? [teacher.name];
      if (teachers.length !== 1 || architectures.get(teachers[0]!) !== "mf")
        return fail(
          "representation distillation needs one teacher that exposes its users' and items' vectors (architecture \"mf\")",
          where,
        );
    }
    if (student.architecture === "als" && strategy.kind === "one-way" && teacherTopKNeeded(strategy) === 0)
      return fail(
        'a distilled ALS student needs the teacher\'s top-K (strategy.loss.kind "ranking")',
        `${at}.strategy.loss`,
      );
    if (student.architecture === "als" && strategy.kind === "one-way" && typeof (strategy.alpha ?? 0) !== "number")
      return fail("ALS mixes the teacher's top-K into its targets once: α must be one number", `${at}.strategy.alpha`);
    if (student.architecture === "als" && strategy.kind === "two-way")
      return fail("ALS trains in closed form: it distils one way, from the teacher's top-K", `${at}.strategy`);
    if (student.compareTo !== undefined && !known.has(student.compareTo))
      return fail(`"${student.compareTo}" is not an earlier student`, `${at}.compareTo`);
    known.add(student.name);
    architectures.set(student.name, student.architecture);
  }
  return E.right(undefined);
};

/** The run's trained models (an external teacher is none) with their config paths. */
const modelsByPath = (spec: ExperimentSpec): Array<[string, ModelSpec]> => [
  ...(isExternal(spec.teacher) ? [] : [["teacher", spec.teacher] as [string, ModelSpec]]),
  ...spec.students.map((s, k): [string, ModelSpec] => [`students[${k}]`, s]),
];

/** Why the data cannot give what a `userFeatures` choice asks for (undefined: it can). */
const userFeaturesProblem = (
  choice: boolean | ReadonlyArray<string>,
  side: SideFeatures,
  turnOff: string,
): string | undefined => {
  if (choice === false) return undefined;
  if (side.users === undefined) return `the dataset has no user features${turnOff}`;
  if (choice === true) return undefined;
  const columns = featureColumnNames(side.users);
  const unknown = choice.find((column) => !columns.includes(column));
  return unknown === undefined
    ? undefined
    : `the dataset has no user column "${unknown}" (it has ${columns.join(", ")})`;
};

/** The side information `model` reads: its option's name and, where the data cannot give it, why. */
const sideInformationProblems = (model: ModelSpec, side: SideFeatures): Array<[string, string | undefined]> => {
  const options = model as {
    itemCategories?: boolean;
    itemFeatures?: boolean;
    userFeatures?: boolean | ReadonlyArray<string>;
  };
  if (model.architecture === "tower")
    return [
      [
        "itemCategories",
        options.itemCategories === true && side.items === undefined ? "the dataset has no item categories" : undefined,
      ],
      ["userFeatures", userFeaturesProblem(options.userFeatures ?? false, side, "")],
    ];
  if (model.architecture !== "mf-features") return [];
  return [
    [
      "itemFeatures",
      options.itemFeatures !== false && side.items === undefined
        ? "the dataset has no item categories (set itemFeatures: false to train without them)"
        : undefined,
    ],
    [
      "userFeatures",
      userFeaturesProblem(options.userFeatures ?? true, side, " (set userFeatures: false to train without them)"),
    ],
  ];
};

/**
 * Checks that need the data: every size a strategy draws is smaller than the catalogue, and the
 * side information a feature MF or a tower reads is in the data.
 * @category Experiment
 */
export const checkAgainstData = (
  spec: ExperimentSpec,
  items: number,
  source: string,
  side: SideFeatures = {},
): E.Either<KdrecError, void> => {
  // A feature MF asks for each side's features unless it turns them off, a tower for item
  // categories when it turns them on; the data must have them.
  for (const [path, model] of modelsByPath(spec))
    for (const [field, problem] of sideInformationProblems(model, side))
      if (problem !== undefined) return E.left(kdrecError("INVALID_CONFIG", problem, `${source}: ${path}.${field}`));
  for (const [index, student] of spec.students.entries())
    for (const { field, size, what } of catalogueDraws(student.strategy ?? { kind: "none" }))
      if (size >= items)
        return E.left(
          kdrecError(
            "INVALID_CONFIG",
            `${what} ${size} must be smaller than the ${items} items of the dataset`,
            `${source}: students[${index}].strategy.${field}`,
          ),
        );
  return E.right(undefined);
};

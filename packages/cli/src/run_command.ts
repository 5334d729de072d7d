/**
 * `kdrec run [CONFIG.json] --out DIR [--data-dir DIR] [--seeds N]`: trains (or takes) the teacher,
 * distils every student, evaluates all on the test split by full ranking, prints a table and
 * writes `DIR/results.json`, `DIR/metrics.jsonl` (one line per epoch) and the models under
 * `DIR/models/`. With no config it runs the small default experiment on the synthetic data.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { appendFile, mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { decodeConfig, type EngineInfo, initEngine, type KdrecError, kdrecError, seededRandom } from "@kdrec/core";
import {
  concatInteractions,
  filterMinRating,
  loadDataset,
  numInteractions,
  numItems,
  numUsers,
  type Split,
  splitBy,
} from "@kdrec/data";
import { evaluateTasks, MultiTaskModel, type TaskTeacher } from "@kdrec/heads";
import { evaluateFullRanking, type MetricSummary, pairedTTest, type RankingReport } from "@kdrec/metrics";
import { describeStrategy, lossNames, type Strategy, teacherTopKNeeded } from "@kdrec/strategies";
import {
  distilledPreferences,
  fitAls,
  HierarchicalAttentionTower,
  implicitPreferences,
  MatrixFactorization,
} from "@kdrec/students";
import {
  ensembleTeacher,
  frozenModel,
  NeuMF,
  parseTopKLists,
  type ScoringModel,
  SequentialTransformer,
  type Teacher,
  type TeacherTargets,
  teacherTopK,
  topKListTeacher,
} from "@kdrec/teachers";
import { type EpochRecord, fit, type TrainableModel } from "@kdrec/train";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { checkpointFile } from "./checkpoint_files.js";
import type { CommandIo } from "./io.js";
import { DEFAULT_RUN, type ExternalTeacherSpec, type ModelSpec, RunConfig, type StudentSpec } from "./run_config.js";
import { namedWeightsSaver, saveMatrixFactorization } from "./save_model.js";

interface ModelResult {
  readonly name: string;
  readonly role: "teacher" | "student";
  readonly architecture: string;
  readonly dim: number;
  readonly params: number;
  readonly strategy: string;
  readonly losses: string[];
  readonly seed: number;
  readonly train_seconds: number;
  readonly best_epoch: number;
  readonly valid: Record<string, number>;
  readonly test: Record<string, number>;
  readonly score_all_users_ms: number;
  /** Multi-task models: the rating and like heads on the test split. */
  readonly tasks?: { readonly rmse: number; readonly mae: number; readonly auc: number; readonly log_loss: number };
}

const readConfig = (path: string | undefined): E.Either<KdrecError, RunConfig> => {
  if (path === undefined) return E.right(DEFAULT_RUN);
  if (!existsSync(path)) return E.left(kdrecError("IO", "no such file", path));
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    return E.left(kdrecError("INVALID_CONFIG", `not valid JSON: ${(error as Error).message}`, path));
  }
  return decodeConfig(RunConfig, json, path);
};

/**
 * Checks across fields: who teaches whom (chains name earlier students; ensemble weights match;
 * two-way pairs are MF), feature alignment's needs, a transformer's `dim` divisible by its heads,
 * and the architecture-specific `scoring` and `positions` only where they apply.
 */
const checkShapes = (config: RunConfig, source: string): E.Either<KdrecError, void> => {
  const models: Array<[string, Partial<ModelSpec>]> = [
    ["teacher", config.teacher as Partial<ModelSpec>],
    ...config.students.map((s, k): [string, Partial<ModelSpec>] => [`students[${k}]`, s]),
  ];
  const sequential = (spec: Partial<ModelSpec>) => spec.architecture === "sasrec" || spec.architecture === "bert4rec";
  const isMf = (spec: Partial<ModelSpec> | { architecture: string }) => (spec.architecture ?? "mf") === "mf";
  const known = new Set([config.teacher.name]);
  for (const [k, student] of config.students.entries()) {
    const names = teachersOf(student);
    for (const name of names ?? [])
      if (!known.has(name))
        return E.left(
          kdrecError(
            "INVALID_CONFIG",
            `"${name}" is not the run's teacher or an earlier student`,
            `${source}: students[${k}].teacher`,
          ),
        );
    if (student.teacherWeights !== undefined) {
      if (names === undefined || student.teacherWeights.length !== names.length)
        return E.left(
          kdrecError(
            "INVALID_CONFIG",
            `${student.teacherWeights.length} weight(s) for ${names?.length ?? 0} named teacher(s)`,
            `${source}: students[${k}].teacherWeights`,
          ),
        );
      if (!student.teacherWeights.some((w) => w > 0))
        return E.left(
          kdrecError("INVALID_CONFIG", "the weights must not all be zero", `${source}: students[${k}].teacherWeights`),
        );
    }
    if (
      student.taskDistillation !== undefined &&
      (student.architecture !== "multi-task" || config.teacher.architecture !== "multi-task" || names !== undefined)
    )
      return E.left(
        kdrecError(
          "INVALID_CONFIG",
          'per-task distillation needs a multi-task student of the run\'s multi-task teacher (architecture "multi-task")',
          `${source}: students[${k}].taskDistillation`,
        ),
      );
    if (student.strategy?.kind === "two-way" && (!isMf(config.teacher) || !isMf(student) || names !== undefined))
      return E.left(
        kdrecError(
          "INVALID_CONFIG",
          'two-way distillation trains the run\'s teacher with the student: both must be MF (architecture "mf")',
          `${source}: students[${k}].strategy`,
        ),
      );
    if (student.strategy?.kind === "one-way" && student.strategy.featureAlignment !== undefined) {
      const where = `${source}: students[${k}].strategy.featureAlignment`;
      if (student.architecture !== "tower")
        return E.left(
          kdrecError("INVALID_CONFIG", 'feature alignment needs a tower student (architecture "tower")', where),
        );
      const teacher = config.teacher as Partial<ModelSpec>;
      if (!sequential(teacher) || teacher.scoring === "full-history")
        return E.left(
          kdrecError(
            "INVALID_CONFIG",
            'feature alignment needs a sequential transformer teacher (sasrec or bert4rec) that scores per row (not scoring "full-history")',
            where,
          ),
        );
    }
    known.add(student.name);
  }
  for (const [path, spec] of models) {
    // An option only one architecture reads is refused on any other, rather than silently ignored.
    if (spec.scoring !== undefined && !sequential(spec))
      return E.left(
        kdrecError(
          "INVALID_CONFIG",
          "scoring applies to transformer teachers (sasrec, bert4rec)",
          `${source}: ${path}.scoring`,
        ),
      );
    if (spec.positions !== undefined && spec.architecture !== "tower")
      return E.left(
        kdrecError(
          "INVALID_CONFIG",
          'positions applies to the tower (architecture "tower")',
          `${source}: ${path}.positions`,
        ),
      );
    if (!sequential(spec)) continue;
    const heads = spec.heads ?? 2;
    if ((spec.dim ?? 0) % heads !== 0)
      return E.left(
        kdrecError(
          "INVALID_CONFIG",
          `dim ${spec.dim} (the hidden size) is not divisible by ${heads} heads`,
          `${source}: ${path}.heads`,
        ),
      );
  }
  return E.right(undefined);
};

/** The sizes a strategy draws from the catalogue: [path under the strategy, K, what K is]. */
const catalogueDraws = (strategy: Strategy | undefined): Array<[string, number, string]> => {
  if (strategy?.kind === "two-way") return [["candidates", strategy.candidates ?? 10, "candidates"]];
  if (strategy?.kind !== "one-way") return [];
  const { loss } = strategy;
  switch (loss.kind) {
    case "ranking":
      return [["loss.topK", loss.topK ?? 10, "topK"]];
    case "listwise-ranking":
      return [
        ["loss.topK", loss.topK ?? 10, "topK"],
        ["loss.below", loss.below ?? 50, "below"],
      ];
    case "soft-label":
      return [
        ["loss.candidates", loss.candidates ?? 100, "candidates"],
        ["loss.teacherTop", 5 * (loss.teacherTop ?? 0), "the teacher's pool (5 × teacherTop)"],
      ];
    case "mse":
      return [["loss.candidates", loss.candidates ?? 14, "candidates"]];
  }
};

/** Checks that need the data: K within the catalogue. */
const checkAgainstData = (config: RunConfig, items: number, source: string): E.Either<KdrecError, void> => {
  for (const [index, student] of config.students.entries()) {
    for (const [field, k, what] of catalogueDraws(student.strategy)) {
      if (k >= items)
        return E.left(
          kdrecError(
            "INVALID_CONFIG",
            `${what} ${k} must be smaller than the ${items} items of the dataset`,
            `${source}: students[${index}].strategy.${field}`,
          ),
        );
    }
  }
  return E.right(undefined);
};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) =>
  xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

const TEST_METRICS = ["hr@10", "ndcg@10", "hr@20", "ndcg@20"];

export const runExperiment = async (
  values: { config?: string; out?: string; "data-dir"?: string; seeds?: string; resume?: boolean },
  io: CommandIo,
): Promise<E.Either<KdrecError, void>> => {
  if (values.out === undefined)
    return E.left(kdrecError("INVALID_ARGUMENT", "is required: the folder to write results into", "--out"));
  const read = readConfig(values.config);
  if (E.isLeft(read)) return read;
  const config = read.right;
  const shapes = checkShapes(config, values.config ?? "default run");
  if (E.isLeft(shapes)) return shapes;
  let seeds = config.seeds ?? [1];
  if (values.seeds !== undefined) {
    const n = Number(values.seeds);
    if (!Number.isInteger(n) || n < 1)
      return E.left(kdrecError("INVALID_ARGUMENT", `expected a positive integer, got "${values.seeds}"`, "--seeds"));
    seeds = Array.from({ length: n }, (_, i) => i + 1);
  }
  const dataRoot = values["data-dir"] ?? process.env.KDREC_DATA_DIR;
  const spec =
    "path" in config.dataset && !isAbsolute(config.dataset.path)
      ? {
          ...config.dataset,
          path: dataRoot === undefined ? resolve(config.dataset.path) : resolve(dataRoot, config.dataset.path),
        }
      : config.dataset;

  const engine = await initEngine({ requireNative: process.env.CI === "true" })();
  if (E.isLeft(engine)) return engine;
  const loaded = await loadDataset(spec)();
  if (E.isLeft(loaded)) return loaded;
  const data =
    config.minRating === undefined
      ? loaded.right.interactions
      : filterMinRating(loaded.right.interactions, config.minRating);
  const checked = checkAgainstData(config, numItems(data), values.config ?? "default run");
  if (E.isLeft(checked)) return checked;
  const split = splitBy(data, config.protocol ?? { name: "leave-last-out" });
  if (E.isLeft(split)) return split;

  const external =
    config.teacher.architecture === "external"
      ? readExternalTeacher(config.teacher, data, values.config === undefined ? "." : dirname(values.config))
      : undefined;
  if (external !== undefined && E.isLeft(external)) return external;
  const topK = Math.max(0, ...config.students.map((s) => teacherTopKNeeded(s.strategy ?? { kind: "none" })));
  if (external !== undefined && topK > external.right.k)
    return E.left(
      kdrecError(
        "INVALID_CONFIG",
        `the students need the teacher's top ${topK} per user; its file lists ${external.right.k}`,
        `${values.config ?? "default run"}: teacher.path`,
      ),
    );
  const out = values.out;
  await mkdir(join(out, "models"), { recursive: true });
  const metricsFile = join(out, "metrics.jsonl");
  if (values.resume !== true) await writeFile(metricsFile, "");
  io.err(describeRun(loaded.right.name, data, engine.right, seeds, config));

  const results: ModelResult[] = [];
  const perUser = new Map<string, Float64Array[]>(); // name -> per-seed per-user test NDCG@10
  const where = { io, metricsFile, out, resume: values.resume === true };
  // Students that later students learn from (multi-level chains and ensembles) are frozen too.
  const referenced = new Set(config.students.flatMap((s) => teachersOf(s) ?? []));
  // An external teacher is the same for every seed: read and evaluated once.
  const externalRun =
    external === undefined ? undefined : await evaluateExternal(external.right, config.teacher.name, split.right);
  if (externalRun !== undefined && E.isLeft(externalRun)) return externalRun;
  for (const seed of seeds) {
    const teacherRun =
      externalRun === undefined
        ? await trainAndEvaluate(
            { spec: config.teacher as ModelSpec, strategy: { kind: "none" }, role: "teacher", seed, freeze: true },
            split.right,
            where,
          )
        : E.right({ ...externalRun.right, result: { ...externalRun.right.result, seed } });
    if (E.isLeft(teacherRun)) return teacherRun;
    results.push(teacherRun.right.result);
    remember(perUser, config.teacher.name, teacherRun.right.report);
    const teachers = new Map<string, Teacher>([[config.teacher.name, teacherRun.right.teacher!]]);
    // What this seed trained (an external teacher belongs to the whole run).
    const disposeAll = () => {
      for (const t of teachers.values()) if (t !== externalRun?.right.teacher) t.dispose();
      teacherRun.right.taskTeacher?.dispose();
    };
    const targets = topK > 0 ? await teacherTopK(teacherRun.right.teacher!, split.right.train, topK) : undefined;
    for (const student of config.students) {
      const names = teachersOf(student);
      const teacher =
        names === undefined
          ? teacherRun.right.teacher!
          : names.length === 1
            ? teachers.get(names[0]!)!
            : ensembleTeacher(
                names.map((n) => teachers.get(n)!),
                student.teacherWeights ?? names.map(() => 1 / names.length),
              );
      const strategy = student.strategy ?? { kind: "none" };
      const peer =
        strategy.kind === "two-way" && teacherRun.right.state !== undefined
          ? { spec: config.teacher as ModelSpec, state: teacherRun.right.state }
          : undefined;
      const run = await trainAndEvaluate(
        {
          spec: student,
          strategy,
          role: "student",
          seed,
          teacher,
          ...(targets === undefined || names !== undefined ? {} : { targets }),
          freeze: referenced.has(student.name),
          ...(peer === undefined ? {} : { peer }),
          ...(teacherRun.right.taskTeacher === undefined ? {} : { taskTeacher: teacherRun.right.taskTeacher }),
        },
        split.right,
        where,
      );
      if (names !== undefined && names.length > 1) teacher.dispose();
      if (E.isLeft(run)) {
        disposeAll();
        return run;
      }
      results.push(run.right.result);
      remember(perUser, student.name, run.right.report);
      if (run.right.peer !== undefined) {
        results.push(run.right.peer.result);
        remember(perUser, run.right.peer.result.name, run.right.peer.report);
      }
      if (run.right.teacher !== undefined) teachers.set(student.name, run.right.teacher);
    }
    disposeAll();
  }

  const summary = {
    dataset: {
      name: loaded.right.name,
      users: numUsers(data),
      items: numItems(data),
      interactions: numInteractions(data),
    },
    protocol: split.right.protocol,
    engine: { backend: engine.right.backend, tfjs: engine.right.tfjsVersion },
    models: results,
  };
  await writeFile(join(out, "results.json.tmp"), `${JSON.stringify(summary, null, 2)}\n`);
  await rename(join(out, "results.json.tmp"), join(out, "results.json"));
  io.out(resultTable(results, perUser, config));
  io.out(`\nwrote ${join(out, "results.json")}, ${metricsFile} and ${join(out, "models")}/\n`);
  if (externalRun !== undefined) externalRun.right.teacher?.dispose();
  return E.right(undefined);
};

/** Full-ranking metrics on the test split (training and validation items excluded). */
const onTestSplit = (score: (users: Int32Array) => tf.Tensor2D, split: Split) =>
  evaluateFullRanking(score, { heldOut: split.test, exclude: [split.train, split.valid] });

/** The teachers a student names (`teacher`: one name or several), or undefined for the run's teacher. */
const teachersOf = (student: StudentSpec): string[] | undefined =>
  student.teacher === undefined
    ? undefined
    : typeof student.teacher === "string"
      ? [student.teacher]
      : [...student.teacher];

const remember = (perUser: Map<string, Float64Array[]>, name: string, report: RankingReport) => {
  perUser.set(name, [...(perUser.get(name) ?? []), report.perUser["ndcg@10"]!]);
};

const describeRun = (
  name: string,
  data: { users: Int32Array; userIds: ReadonlyArray<string>; itemIds: ReadonlyArray<string> },
  engine: EngineInfo,
  seeds: number[],
  config: RunConfig,
) =>
  `kdrec run: ${name} (${data.userIds.length} users, ${data.itemIds.length} items, ${data.users.length} interactions), ` +
  `backend ${engine.backend}, seeds ${seeds.join(", ")}, teacher ${config.teacher.name}, ${config.students.length} student(s)\n`;

/** A model `kdrec run` can train, with how to score the test split, save it and free it. */
interface RunModel {
  readonly model: TrainableModel<unknown, unknown> & ScoringModel;
  /** Scores for the test split (sequence models read the training + validation histories). */
  readonly testScorer: () => { readonly score: (users: Int32Array) => tf.Tensor2D; readonly dispose: () => void };
  readonly save: (dir: string, meta: Record<string, unknown>) => Promise<void>;
  readonly dispose: () => void;
  /** Multi-task models: the heads (for their metrics, and to teach a multi-task student). */
  readonly tasks?: MultiTaskModel;
  /** How the trained model freezes into a teacher, where not by `frozenModel` (sequence models). */
  readonly freeze?: (name: string) => Teacher;
  /** Set for MF models (ALS trains those in closed form). */
  readonly mf?: MatrixFactorization;
}

/** The fields of `spec` named in `keys` that are set (model configs take optional fields only when set). */
const setFields = <T extends object, K extends keyof T>(
  spec: T,
  keys: ReadonlyArray<K>,
): { [P in K]?: Exclude<T[P], undefined> } =>
  Object.fromEntries(keys.filter((k) => spec[k] !== undefined).map((k) => [k, spec[k]])) as {
    [P in K]?: Exclude<T[P], undefined>;
  };

const createModel = (spec: ModelSpec, seed: number, split: Split, alignTo?: ReadonlyArray<number>): RunModel => {
  const users = numUsers(split.train);
  const items = numItems(split.train);
  if (spec.architecture === "multi-task") {
    const created = MultiTaskModel.create(
      {
        users,
        items,
        dim: spec.dim,
        seed,
        l2: spec.l2 ?? 0,
        learningRate: spec.learningRate ?? 1e-3,
        ...setFields(spec, ["bottom", "hidden", "experts", "weighting", "taskWeights"]),
      },
      split.train,
    );
    if (E.isLeft(created)) throw new RangeError(created.left);
    const model = created.right;
    return {
      model: model as TrainableModel<unknown, unknown> & ScoringModel,
      testScorer: () => model.allItemScorer(),
      tasks: model,
      save: namedWeightsSaver("kdrec-multi-task", "multi-task", model),
      dispose: () => model.dispose(),
    };
  }
  if (spec.architecture === "tower") {
    const model = HierarchicalAttentionTower.create(
      {
        items,
        dim: spec.dim,
        seed,
        l2: spec.l2 ?? 0,
        learningRate: spec.learningRate ?? 1e-3,
        ...setFields(spec, ["groups", "perGroup", "sessionGap", "positions"]),
        ...(alignTo === undefined ? {} : { alignTo: [...alignTo] }),
      },
      split.train,
    );
    return {
      model: model as TrainableModel<unknown, unknown> & ScoringModel,
      testScorer: () => model.allItemScorer(concatInteractions(split.train, split.valid)),
      save: namedWeightsSaver("kdrec-hierarchical-tower", "tower", model),
      dispose: () => model.dispose(),
    };
  }
  if (spec.architecture === "sasrec" || spec.architecture === "bert4rec") {
    const model = SequentialTransformer.create(
      {
        items,
        direction: spec.architecture === "sasrec" ? "causal" : "bidirectional",
        hidden: spec.dim,
        seed,
        learningRate: spec.learningRate ?? 1e-3,
        ...setFields(spec, ["blocks", "heads", "maxLength", "dropout"]),
      },
      split.train,
    );
    return {
      model: model as TrainableModel<unknown, unknown> & ScoringModel,
      testScorer: () => model.allItemScorer(concatInteractions(split.train, split.valid)),
      // Without `freeze`, the model is frozen by its full-history score table like any other.
      ...(spec.scoring === "full-history" ? {} : { freeze: (name: string) => model.frozenTeacher({ name, users }) }),
      save: namedWeightsSaver("kdrec-sequential-transformer", spec.architecture, model),
      dispose: () => model.dispose(),
    };
  }
  if (spec.architecture === "neumf") {
    const model = NeuMF.create({
      users,
      items,
      dim: spec.dim,
      seed,
      l2: spec.l2 ?? 0,
      learningRate: spec.learningRate ?? 1e-3,
      ...setFields(spec, ["mlpLayers", "initStd"]),
    });
    return {
      model: model as TrainableModel<unknown, unknown> & ScoringModel,
      testScorer: () => model.allItemScorer(),
      save: namedWeightsSaver("kdrec-neumf", "neumf", model),
      dispose: () => model.dispose(),
    };
  }
  const model = MatrixFactorization.create({
    users,
    items,
    dim: spec.dim,
    seed,
    l2: spec.l2 ?? 0,
    ...setFields(spec, ["initStd", "itemBias"]),
    optimizer: { kind: "adam", learningRate: spec.learningRate ?? 1e-3 },
  });
  return {
    model: model as TrainableModel<unknown, unknown> & ScoringModel,
    testScorer: () => model.allItemScorer(),
    save: (dir, meta) => saveMatrixFactorization(model, dir, meta),
    dispose: () => undefined,
    mf: model,
  };
};

/** Reads an external teacher's top-K file (relative to the config's folder). */
const readExternalTeacher = (
  spec: ExternalTeacherSpec,
  data: { userIds: ReadonlyArray<string>; itemIds: ReadonlyArray<string> },
  configDir: string,
): E.Either<KdrecError, TeacherTargets> => {
  const path = isAbsolute(spec.path) ? spec.path : resolve(configDir, spec.path);
  if (!existsSync(path)) return E.left(kdrecError("IO", "no such file (the external teacher's top-K lists)", path));
  return parseTopKLists(readFileSync(path, "utf8"), data.userIds, data.itemIds, path);
};

/** The external teacher's row of the results (seed 0 until a seed's row is made of it). */
const evaluateExternal = async (
  lists: TeacherTargets,
  name: string,
  split: Split,
): Promise<E.Either<KdrecError, TrainOutcome>> => {
  const teacher = topKListTeacher(name, lists, numItems(split.train));
  const valid = await evaluateFullRanking(teacher.scoreAll, { heldOut: split.valid, exclude: [split.train] });
  if (E.isLeft(valid)) return valid;
  const report = await onTestSplit(teacher.scoreAll, split);
  if (E.isLeft(report)) return report;
  const pick = (s: Record<string, { mean: number }>) => Object.fromEntries(TEST_METRICS.map((n) => [n, s[n]!.mean]));
  const result: ModelResult = {
    name,
    role: "teacher",
    architecture: "external",
    dim: 0,
    params: 0,
    strategy: "none",
    losses: [],
    seed: 0,
    train_seconds: 0,
    best_epoch: -1,
    valid: pick(valid.right.summary),
    test: pick(report.right.summary),
    score_all_users_ms: 0,
  };
  return E.right({ teacher, result, report: report.right });
};

/** What to train: a model spec under a strategy, and what it learns from. */
interface TrainRequest {
  readonly spec: ModelSpec;
  readonly strategy: Strategy;
  readonly role: "teacher" | "student";
  readonly seed: number;
  readonly teacher?: Teacher;
  readonly targets?: TeacherTargets;
  /** Freeze the trained model as a teacher (for the students that follow). */
  readonly freeze: boolean;
  /** Two-way: the teacher's spec and trained state, continued as a peer that learns too. */
  readonly peer?: { readonly spec: ModelSpec; readonly state: unknown };
  /** Multi-task: the teacher's heads, for the student's per-head distillation. */
  readonly taskTeacher?: TaskTeacher;
}

interface TrainOutcome {
  readonly teacher?: Teacher;
  /** A multi-task teacher's heads, kept alive for its students (the caller disposes it). */
  readonly taskTeacher?: MultiTaskModel;
  /** The trained model's state (teachers: what a two-way peer starts from). */
  readonly state?: unknown;
  readonly result: ModelResult;
  readonly report: RankingReport;
  /** Two-way: the teacher after learning with the student. */
  readonly peer?: { readonly result: ModelResult; readonly report: RankingReport };
}

type Where = { readonly io: CommandIo; readonly metricsFile: string; readonly out: string; readonly resume: boolean };

/**
 * Creates the model (and a two-way peer), trains and evaluates it, and frees what the outcome does
 * not keep — on every path, failures included.
 */
const trainAndEvaluate = async (
  request: TrainRequest,
  split: Split,
  where: Where,
): Promise<E.Either<KdrecError, TrainOutcome>> => {
  const { spec, strategy, seed, teacher } = request;
  const alignTo =
    strategy.kind === "one-way" && strategy.featureAlignment !== undefined ? teacher?.featureWidths : undefined;
  const created = createModel(spec, seed, split, alignTo);
  const peerModel = request.peer === undefined ? undefined : createModel(request.peer.spec, seed, split);
  let outcome: E.Either<KdrecError, TrainOutcome> | undefined;
  try {
    outcome = await trainCreated(request, created, peerModel, split, where);
    return outcome;
  } finally {
    peerModel?.dispose();
    // A multi-task teacher's heads stay alive: its students distil from them.
    if (outcome === undefined || E.isLeft(outcome) || outcome.right.taskTeacher === undefined) created.dispose();
  }
};

const trainCreated = async (
  request: TrainRequest,
  created: RunModel,
  peerModel: RunModel | undefined,
  split: Split,
  where: Where,
): Promise<E.Either<KdrecError, TrainOutcome>> => {
  const { spec, strategy, role, seed, teacher, targets } = request;
  const { model } = created;
  const distillation = (spec as StudentSpec).taskDistillation;
  if (created.tasks !== undefined && request.taskTeacher !== undefined && distillation !== undefined) {
    const attached = created.tasks.distillFrom(request.taskTeacher, distillation);
    if (E.isLeft(attached)) return E.left(kdrecError("INVALID_CONFIG", attached.left, `${spec.name}.taskDistillation`));
  }
  if (peerModel !== undefined && request.peer !== undefined) peerModel.model.restoreTrainingState(request.peer.state);
  const { io, metricsFile, out } = where;
  const label = `[${spec.name} seed ${seed}]`;
  const onEpoch = (r: EpochRecord) => {
    io.err(
      `${label} ${r.phase} epoch ${r.epoch} loss ${Number.isNaN(r.loss) ? "-" : r.loss.toFixed(4)} valid ndcg@10 ${r.validNdcg10.toFixed(4)} (${r.seconds.toFixed(1)} s)\n`,
    );
    void appendFile(metricsFile, `${JSON.stringify({ model: spec.name, seed, ...r })}\n`);
  };
  const onBatch = io.interactive
    ? (done: number, total: number, epoch: number) =>
        io.err(
          `\r${label} epoch ${epoch} ${"#".repeat(Math.round((20 * done) / total)).padEnd(20, "-")} ${done}/${total}`,
        )
    : undefined;
  const fitted =
    spec.architecture === "als" && created.mf !== undefined
      ? await fitAlsModel(created.mf, spec, strategy, split, targets, onEpoch)
      : await fit({
          model,
          split,
          strategy,
          ...(teacher === undefined || strategy.kind !== "one-way" ? {} : { teacher }),
          ...(peerModel === undefined ? {} : { peer: peerModel.model }),
          ...(targets === undefined ? {} : { targets }),
          seed,
          ...setFields(spec, ["batchSize", "patience", "maxEpochs"]),
          onEpoch,
          ...(onBatch === undefined ? {} : { onBatch }),
          checkpoints: checkpointFile(join(out, "checkpoints", `${spec.name}-seed${seed}.json`), where.resume),
        });
  if (E.isLeft(fitted))
    return E.left({ ...fitted.left, location: `${spec.name} seed ${seed}: ${fitted.left.location ?? ""}` });

  const scorer = created.testScorer();
  const report = await onTestSplit(scorer.score, split);
  const allUsers = Int32Array.from({ length: numUsers(split.train) }, (_, u) => u);
  const started = performance.now();
  const reps = 5;
  // Scoring every user against every item and reading each user's top 10 (what serving needs;
  // downloading the whole score matrix would time the copy, not the model).
  for (let r = 0; r < reps; r++) {
    const top = tf.tidy(() => tf.topk(scorer.score(allUsers), 10).indices);
    await top.data();
    top.dispose();
  }
  const scoreAllMs = (performance.now() - started) / reps;
  scorer.dispose();
  if (E.isLeft(report)) return report;
  const pick = (s: Record<string, { mean: number }>, names: string[]) =>
    Object.fromEntries(names.map((n) => [n, s[n]!.mean]));
  const taskMetrics =
    created.tasks === undefined
      ? undefined
      : evaluateTasks(
          created.tasks,
          split.test,
          concatInteractions(split.train, split.valid),
          seededRandom(seed).split("tasks"),
        );
  if (taskMetrics !== undefined && E.isLeft(taskMetrics))
    return E.left(kdrecError("INVALID_DATA", taskMetrics.left, `${spec.name}: test split`));
  await created.save(join(out, "models", `${spec.name}-seed${seed}`), {
    name: spec.name,
    role,
    seed,
    strategy,
  });
  const result: ModelResult = {
    name: spec.name,
    role,
    architecture: spec.architecture ?? "mf",
    dim: spec.dim,
    params: model.parameterCount,
    strategy: describeStrategy(strategy),
    losses: lossNames(strategy),
    seed,
    train_seconds: Number(fitted.right.trainSeconds.toFixed(2)),
    best_epoch: fitted.right.bestEpoch,
    valid: pick(fitted.right.valid, TEST_METRICS),
    test: pick(report.right.summary, TEST_METRICS),
    score_all_users_ms: Number(scoreAllMs.toFixed(3)),
    ...(taskMetrics === undefined || E.isLeft(taskMetrics)
      ? {}
      : {
          tasks: {
            rmse: taskMetrics.right.rmse,
            mae: taskMetrics.right.mae,
            auc: taskMetrics.right.auc,
            log_loss: taskMetrics.right.logLoss,
          },
        }),
  };
  io.err(
    `${label} test ndcg@10 ${result.test["ndcg@10"]!.toFixed(4)} hr@10 ${result.test["hr@10"]!.toFixed(4)} (best epoch ${result.best_epoch}, ${result.train_seconds} s)\n`,
  );
  let peer: TrainOutcome["peer"];
  if (
    peerModel !== undefined &&
    request.peer !== undefined &&
    "peer" in fitted.right &&
    fitted.right.peer !== undefined
  ) {
    const peerScorer = peerModel.testScorer();
    const peerReport = await onTestSplit(peerScorer.score, split);
    peerScorer.dispose();
    if (E.isLeft(peerReport)) return peerReport;
    const name = `${request.peer.spec.name}~${spec.name}`;
    await peerModel.save(join(out, "models", `${name}-seed${seed}`), { name, role: "teacher", seed, strategy });
    peer = {
      report: peerReport.right,
      result: {
        ...result,
        name,
        role: "teacher",
        architecture: request.peer.spec.architecture ?? "mf",
        dim: request.peer.spec.dim,
        params: peerModel.model.parameterCount,
        strategy: `${describeStrategy(strategy)}, the teacher's side`,
        best_epoch: fitted.right.peer.bestEpoch,
        valid: pick(fitted.right.peer.valid, TEST_METRICS),
        test: pick(peerReport.right.summary, TEST_METRICS),
        score_all_users_ms: 0,
      },
    };
    io.err(
      `[${name} seed ${seed}] test ndcg@10 ${peer.result.test["ndcg@10"]!.toFixed(4)} (the teacher after two-way training)\n`,
    );
  }
  // A teacher is frozen (a snapshot) for the students that follow.
  const state = role === "teacher" ? model.trainingState() : undefined;
  const frozen = !request.freeze
    ? undefined
    : created.freeze !== undefined
      ? created.freeze(spec.name)
      : frozenModel(model, {
          name: spec.name,
          architecture: spec.architecture ?? "mf",
          users: numUsers(split.train),
          items: numItems(split.train),
        });
  return E.right({
    ...(frozen === undefined ? {} : { teacher: frozen }),
    ...(role === "teacher" && created.tasks !== undefined ? { taskTeacher: created.tasks } : {}),
    ...(state === undefined ? {} : { state }),
    result,
    report: report.right,
    ...(peer === undefined ? {} : { peer }),
  });
};

/**
 * ALS students: closed-form sweeps, validation NDCG@10 after each, the best sweep kept. With a
 * one-way strategy, the entries mix observed items with the teacher's top-K by α.
 */
const fitAlsModel = async (
  model: MatrixFactorization,
  spec: ModelSpec,
  strategy: Strategy,
  split: Split,
  targets: TeacherTargets | undefined,
  onEpoch: (record: EpochRecord) => void,
): Promise<E.Either<KdrecError, { bestEpoch: number; valid: Record<string, MetricSummary>; trainSeconds: number }>> => {
  const confidence = spec.confidence ?? 10;
  let entries = implicitPreferences(split.train, confidence);
  if (strategy.kind === "one-way") {
    if (targets === undefined)
      return E.left(
        kdrecError(
          "INVALID_CONFIG",
          'a distilled ALS student needs the teacher\'s top-K (strategy.loss.kind "ranking")',
          "strategy.loss",
        ),
      );
    entries = distilledPreferences(split.train, targets, strategy.alpha ?? 0.8, confidence);
  }
  let best = {
    ndcg: Number.NEGATIVE_INFINITY,
    epoch: -1,
    weights: model.snapshot(),
    valid: {} as Record<string, MetricSummary>,
  };
  let trainSeconds = 0;
  for (let sweep = 0; sweep < (spec.sweeps ?? 15); sweep++) {
    const started = performance.now();
    fitAls(model, entries, { sweeps: 1, regularization: spec.regularization ?? 0.1 });
    trainSeconds += (performance.now() - started) / 1000;
    const scorer = model.allItemScorer();
    const report = await evaluateFullRanking(scorer.score, { heldOut: split.valid, exclude: [split.train] });
    scorer.dispose();
    if (E.isLeft(report)) return report;
    const ndcg = report.right.summary["ndcg@10"]!.mean;
    onEpoch({
      phase: strategy.kind === "none" ? "train" : "distill",
      epoch: sweep,
      round: 0,
      loss: Number.NaN,
      validNdcg10: ndcg,
      validHr10: report.right.summary["hr@10"]!.mean,
      seconds: (performance.now() - started) / 1000,
      tensors: 0,
    });
    if (ndcg > best.ndcg) best = { ndcg, epoch: sweep, weights: model.snapshot(), valid: report.right.summary };
    if (sweep - best.epoch >= (spec.patience ?? 3)) break;
  }
  model.restore(best.weights);
  return E.right({ bestEpoch: best.epoch, valid: best.valid, trainSeconds });
};

const resultTable = (results: ModelResult[], perUser: Map<string, Float64Array[]>, config: RunConfig): string => {
  const names = [...new Set(results.map((r) => r.name))];
  const withTasks = results.some((r) => r.tasks !== undefined);
  const taskCell = (runs: ModelResult[], metric: "rmse" | "auc") => {
    const xs = runs.flatMap((r) => (r.tasks === undefined ? [] : [r.tasks[metric]]));
    return xs.length === 0 ? "-" : `${mean(xs).toFixed(4)} ± ${std(xs).toFixed(4)}`;
  };
  const rows = names.map((name) => {
    const runs = results.filter((r) => r.name === name);
    const cell = (metric: string) => {
      const xs = runs.map((r) => r.test[metric]!);
      return `${mean(xs).toFixed(4)} ± ${std(xs).toFixed(4)}`;
    };
    return [
      name,
      runs[0]!.role,
      String(runs[0]!.params),
      cell("ndcg@10"),
      cell("hr@10"),
      cell("ndcg@20"),
      mean(runs.map((r) => r.train_seconds)).toFixed(1),
      ...(withTasks ? [taskCell(runs, "rmse"), taskCell(runs, "auc")] : []),
      runs[0]!.strategy,
    ];
  });
  const header = [
    "model",
    "role",
    "params",
    "test ndcg@10",
    "test hr@10",
    "test ndcg@20",
    "train s",
    ...(withTasks ? ["test rmse", "test like-auc"] : []),
    "strategy",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const lines = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
  // Paired t-tests (per-user test NDCG@10, all seeds pooled): each distilled student against the
  // undistilled student of the same size.
  for (const student of config.students) {
    if ((student.strategy?.kind ?? "none") === "none") continue;
    const baseline = config.students.find(
      (s) =>
        (s.strategy ?? { kind: "none" }).kind === "none" &&
        s.dim === student.dim &&
        (s.architecture ?? "mf") === (student.architecture ?? "mf"),
    );
    if (baseline === undefined) continue;
    const a = concat(perUser.get(student.name)!);
    const b = concat(perUser.get(baseline.name)!);
    const test = pairedTTest(a, b);
    lines.push(
      `paired t-test ${student.name} vs ${baseline.name}: Δndcg@10 ${test.meanDifference >= 0 ? "+" : ""}${test.meanDifference.toFixed(4)}, t ${test.t.toFixed(2)}, p ${test.pValue.toExponential(2)} (n ${test.n})`,
    );
  }
  return `${lines.join("\n")}\n`;
};

const concat = (arrays: Float64Array[]): Float64Array => {
  const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
};

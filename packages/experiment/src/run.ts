/**
 * Runs an experiment: per seed, trains (or takes) the teacher, distils every student under its
 * strategy — from the run's teacher, an earlier student (a chain) or several (an ensemble) —,
 * evaluates every model on the test split by full ranking, and compares each distilled student
 * with the undistilled one of its size. Every problem of the spec is found before the first
 * model trains; files are the caller's (an {@link ExperimentStore}).
 * @module
 */
import { definedFields, fingerprint, type KdrecError, kdrecError } from "@kdrec/core";
import {
  filterMinRating,
  type Interactions,
  type ItemSideInfo,
  indexBatches,
  itemFeatureLists,
  itemsOf,
  numInteractions,
  numItems,
  numUsers,
  type SideFeatures,
  type Split,
  splitBy,
  type UserSideInfo,
  userFeatureLists,
  userItemSets,
} from "@kdrec/data";
import { evaluateFullRanking, popularityReport, type RankingReport } from "@kdrec/metrics";
import type { BuiltModel, SavedWeights, TaskTeacher, Teacher, TeacherTargets, TrainingThreads } from "@kdrec/model-kit";
import { describeStrategy, lossNames, resolveStrategy, type Strategy, teacherTopKNeeded } from "@kdrec/strategies";
import { ensembleTeacher, teacherTopK, topKListTeacher } from "@kdrec/teachers";
import { type CheckpointStore, type EpochRecord, fit } from "@kdrec/train";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { checkAgainstData, checkExperiment } from "./checks.js";
import { type ArchitectureRegistry, defaultRegistry } from "./registry.js";
import { resolveModelSpec } from "./resolved.js";
import { compareStudents, type ExperimentResult, type ModelResult, summariseModels, TEST_METRICS } from "./results.js";
import { type ServedData, servedData } from "./served_data.js";
import { type ExperimentSpec, isExternal, type ModelSpec, type StudentSpec, teachersOf } from "./spec.js";

/**
 * What happens during a run, for progress and logs.
 * @category Experiment
 */
export type ExperimentEvent =
  | {
      readonly kind: "start";
      readonly dataset: ExperimentResult["dataset"];
      readonly seeds: ReadonlyArray<number>;
      readonly teacher: string;
      /** The students' names, in the order they train. */
      readonly students: ReadonlyArray<string>;
    }
  | { readonly kind: "epoch"; readonly model: string; readonly seed: number; readonly record: EpochRecord }
  | {
      readonly kind: "batch";
      readonly model: string;
      readonly seed: number;
      readonly epoch: number;
      readonly done: number;
      readonly total: number;
    }
  | { readonly kind: "model"; readonly result: ModelResult; readonly note?: string };

/**
 * The line a log shows for an event (`[mf8 seed 1] distill epoch 3 loss 0.41 valid ndcg@10 0.12 (0.4 s)`);
 * undefined for batches (progress bars draw those).
 * @category Experiment
 */
export const describeEvent = (event: ExperimentEvent): string | undefined => {
  switch (event.kind) {
    case "start": {
      const { dataset } = event;
      return (
        `${dataset.name} (${dataset.users} users, ${dataset.items} items, ${dataset.interactions} interactions), ` +
        `seeds ${event.seeds.join(", ")}, teacher ${event.teacher}, ${event.students.length} student(s)`
      );
    }
    case "epoch": {
      const r = event.record;
      return `[${event.model} seed ${event.seed}] ${r.phase} epoch ${r.epoch} loss ${Number.isNaN(r.loss) ? "-" : r.loss.toFixed(4)} valid ndcg@10 ${r.validNdcg10.toFixed(4)} (${r.seconds.toFixed(1)} s)`;
    }
    case "model": {
      const { result } = event;
      const ndcg = `[${result.name} seed ${result.seed}] test ndcg@10 ${result.test["ndcg@10"]!.toFixed(4)}`;
      return event.note === undefined
        ? `${ndcg} hr@10 ${result.test["hr@10"]!.toFixed(4)} (best epoch ${result.best_epoch}, ${result.train_seconds} s)`
        : `${ndcg} (${event.note})`;
    }
    case "batch":
      return undefined;
  }
};

/**
 * What a run knows about a trained model beyond its weights: what a model bundle records.
 * @category Experiment
 */
export interface SavedModelMeta {
  readonly name: string;
  readonly role: string;
  readonly seed: number;
  /** The model's spec with its architecture's defaults (and a student's strategy, resolved). */
  readonly spec: Readonly<Record<string, unknown>>;
  /** The fingerprint of the model's spec (and its teachers'), as its checkpoints carry it. */
  readonly specFingerprint: string;
  /** The run's data: ids, popularity, titles, histories and fingerprint. */
  readonly served: ServedData;
}

/**
 * Where a run keeps what outlives it: checkpoints (resume) and trained models.
 * @category Experiment
 */
export interface ExperimentStore {
  checkpoints(model: string, seed: number): CheckpointStore<unknown, unknown>;
  saveModel(model: string, seed: number, saved: SavedWeights, meta: SavedModelMeta): Promise<void>;
}

/**
 * The data and hooks of a run.
 * @category Experiment
 */
export interface ExperimentOptions {
  /** The loaded dataset (the spec's `dataset` says how to load it; loading is the caller's). */
  readonly data: {
    readonly name: string;
    readonly interactions: Interactions;
    readonly items?: ItemSideInfo;
    readonly users?: UserSideInfo;
  };
  /** Overrides the spec's seeds. */
  readonly seeds?: ReadonlyArray<number>;
  /** The architectures models are looked up in; default {@link defaultRegistry}. */
  readonly registry?: ArchitectureRegistry;
  /** An external teacher's top-K lists (a spec whose teacher is `external` needs them). */
  readonly externalTargets?: TeacherTargets;
  readonly store?: ExperimentStore;
  /** Where problems are located in messages (the config file's name); default "experiment". */
  readonly source?: string;
  /** Stops the run between models and epochs. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: ExperimentEvent) => void;
  /**
   * Threads the models may train on (a `KernelPool` of `@kdrec/students/node`): MF's epochs of the
   * task loss alone and of soft-label distillation then run whole on them (Hogwild with more than one: faster, not reproducible
   * run to run). Absent: every model trains step by step, reproducibly.
   */
  readonly threads?: TrainingThreads;
}

/** The trained models of one seed that later students learn from. */
interface SeedTeachers {
  readonly byName: Map<string, Teacher>;
  readonly targets: Map<string, TeacherTargets>;
}

/**
 * Checks `spec` against the data — every problem a run could meet before its first model trains —
 * and returns the run, not yet started. What {@link runExperiment} does first; a caller that must
 * prepare files only for a run that can start (the CLI) calls it itself.
 * @example
 * ```ts
 * const prepared = prepareExperiment(DEFAULT_EXPERIMENT, { data: { name: "synthetic", interactions } });
 * if (E.isRight(prepared)) await prepared.right();
 * ```
 * @category Experiment
 */
export const prepareExperiment = (
  spec: ExperimentSpec,
  options: ExperimentOptions,
): E.Either<KdrecError, TE.TaskEither<KdrecError, ExperimentResult>> => {
  const registry = options.registry ?? defaultRegistry;
  const source = options.source ?? "experiment";
  const checked = checkExperiment(spec, registry, source);
  if (E.isLeft(checked)) return checked;
  const seeds = options.seeds ?? spec.seeds ?? [1];
  if (seeds.length === 0) return E.left(kdrecError("INVALID_CONFIG", "no seeds to run", `${source}: seeds`));
  const twice = seeds.find((seed, k) => seeds.indexOf(seed) !== k);
  if (twice !== undefined)
    return E.left(
      kdrecError("INVALID_CONFIG", `seed ${twice} is listed twice (each seed is one run)`, `${source}: seeds`),
    );
  const data =
    spec.minRating === undefined
      ? options.data.interactions
      : filterMinRating(options.data.interactions, spec.minRating);
  if (numInteractions(data) === 0)
    return E.left(
      kdrecError(
        "INVALID_CONFIG",
        `no interaction is rated ${spec.minRating} or more: nothing is left to train on`,
        `${source}: minRating`,
      ),
    );
  const side = sideFeatures(options.data, numUsers(data), numItems(data));
  const againstData = checkAgainstData(spec, numItems(data), source, side);
  if (E.isLeft(againstData)) return againstData;
  const split = splitBy(data, spec.protocol ?? { name: "leave-last-out" });
  if (E.isLeft(split)) return split;
  const external = isExternal(spec.teacher) ? options.externalTargets : undefined;
  if (isExternal(spec.teacher) && external === undefined)
    return E.left(
      kdrecError("INVALID_ARGUMENT", "an external teacher needs its top-K lists", `${source}: teacher.path`),
    );
  const topK = Math.max(0, ...spec.students.map((s) => teacherTopKNeeded(s.strategy ?? { kind: "none" })));
  if (external !== undefined && topK > external.k)
    return E.left(
      kdrecError(
        "INVALID_CONFIG",
        `the students need the teacher's top ${topK} per user; its file lists ${external.k}`,
        `${source}: teacher.path`,
      ),
    );
  const dataset = {
    name: options.data.name,
    users: numUsers(data),
    items: numItems(data),
    interactions: numInteractions(data),
  };
  return E.right(async () => {
    options.onEvent?.({
      kind: "start",
      dataset,
      seeds,
      teacher: spec.teacher.name,
      students: spec.students.map((student) => student.name),
    });
    const run = new Run(spec, options, registry, split.right, () =>
      servedData(options.data.name, data, options.data.items),
    );
    const models: ModelResult[] = [];
    const perUser = new Map<string, Float64Array[]>();
    const remember = (result: ModelResult, report: RankingReport) => {
      models.push(result);
      perUser.set(result.name, [...(perUser.get(result.name) ?? []), report.perUser["ndcg@10"]!]);
    };
    const externalTeacher =
      external === undefined ? undefined : topKListTeacher(spec.teacher.name, external, numItems(split.right.train));
    try {
      // An external teacher is the same for every seed: evaluated once.
      const externalRun = externalTeacher === undefined ? undefined : await run.evaluateExternal(externalTeacher);
      if (externalRun !== undefined && E.isLeft(externalRun)) return externalRun;
      for (const seed of seeds) {
        const outcome = await run.seed(seed, externalRun?.right, remember);
        if (E.isLeft(outcome)) return outcome;
      }
    } finally {
      externalTeacher?.dispose();
    }
    return E.right({
      dataset,
      protocol: split.right.protocol,
      models,
      perUser,
      summaries: summariseModels(models),
      comparisons: compareStudents(spec, perUser),
    });
  });
};

/**
 * Runs `spec` on `options.data`. Fails — before any training — on a spec that cannot run, and
 * otherwise with the first model that fails (its name and seed in the error's location).
 * @example
 * ```ts
 * const result = await runExperiment(DEFAULT_EXPERIMENT, { data: { name: "synthetic", interactions } })();
 * ```
 * @category Experiment
 */
export const runExperiment =
  (spec: ExperimentSpec, options: ExperimentOptions): TE.TaskEither<KdrecError, ExperimentResult> =>
  async () => {
    const prepared = prepareExperiment(spec, options);
    return E.isLeft(prepared) ? prepared : prepared.right();
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
  /** The trained model, kept alive where its heads teach (the caller disposes it). */
  readonly kept?: BuiltModel;
  /** The trained model's state (teachers: what a two-way peer starts from). */
  readonly state?: unknown;
}

type Remember = (result: ModelResult, report: RankingReport) => void;

/**
 * Each model's fingerprint (what its checkpoints are checked against on resume) and its path in
 * the spec: its own spec with the strategy resolved, the data it trains on, and its teachers'
 * fingerprints, so that a changed teacher also invalidates its students' checkpoints.
 */
const modelFingerprints = (spec: ExperimentSpec): Map<string, { value: string; location: string }> => {
  const data = { dataset: spec.dataset, protocol: spec.protocol, minRating: spec.minRating };
  const out = new Map([
    [spec.teacher.name, { value: fingerprint({ data, model: spec.teacher }), location: "teacher" }],
  ]);
  spec.students.forEach((student, k) => {
    const teachers = (teachersOf(student) ?? [spec.teacher.name]).map((name) => out.get(name)?.value);
    // compareTo only chooses a paired test: it does not change what trains.
    const { compareTo: _, ...trained } = student;
    const model = { ...trained, strategy: resolveStrategy(student.strategy ?? { kind: "none" }) };
    out.set(student.name, { value: fingerprint({ data, model, teachers }), location: `students[${k}]` });
  });
  return out;
};

/** An external teacher and its evaluation (the same for every seed). */
interface ExternalRun {
  readonly teacher: Teacher;
  readonly result: ModelResult;
  readonly report: RankingReport;
}

/** One experiment's seeds, models and hooks. */
class Run {
  // Students that later students learn from (multi-level chains and ensembles) are frozen too.
  private readonly referenced: Set<string>;
  private readonly fingerprints: ReadonlyMap<string, { readonly value: string; readonly location: string }>;
  private readonly served: () => ServedData;
  /** The dataset's side information as feature lists (what feature-aware models read). */
  private readonly side: SideFeatures;

  constructor(
    private readonly spec: ExperimentSpec,
    private readonly options: ExperimentOptions,
    private readonly registry: ArchitectureRegistry,
    private readonly split: Split,
    servedOf: () => ServedData,
  ) {
    // Only runs that save models need the served data (histories are a pass over the data).
    let served: ServedData | undefined;
    this.served = () => {
      served ??= servedOf();
      return served;
    };
    this.referenced = new Set(spec.students.flatMap((s) => teachersOf(s) ?? []));
    this.fingerprints = modelFingerprints(spec);
    this.side = sideFeatures(options.data, numUsers(split.train), numItems(split.train));
  }

  /** The teacher and every student of one seed. */
  async seed(seed: number, external: ExternalRun | undefined, remember: Remember): Promise<E.Either<KdrecError, void>> {
    const { spec } = this;
    let teacherRun: E.Either<KdrecError, TrainOutcome>;
    if (external !== undefined) {
      const result = { ...external.result, seed };
      remember(result, external.report);
      this.options.onEvent?.({ kind: "model", result });
      teacherRun = E.right({ teacher: external.teacher });
    } else {
      teacherRun = await this.train(
        { spec: spec.teacher as ModelSpec, strategy: { kind: "none" }, role: "teacher", seed, freeze: true },
        remember,
      );
    }
    if (E.isLeft(teacherRun)) return teacherRun;
    const runTeacher = teacherRun.right.teacher!;
    const seedTeachers: SeedTeachers = { byName: new Map([[spec.teacher.name, runTeacher]]), targets: new Map() };
    try {
      for (const student of spec.students) {
        const names = teachersOf(student) ?? [spec.teacher.name];
        const teacher =
          names.length === 1
            ? seedTeachers.byName.get(names[0]!)!
            : ensembleTeacher(
                names.map((n) => seedTeachers.byName.get(n)!),
                student.teacherWeights ?? names.map(() => 1 / names.length),
              );
        try {
          const strategy = student.strategy ?? { kind: "none" };
          const targets = await this.targetsFor(student, names, teacher, seedTeachers);
          const trained = await this.train(
            {
              spec: student,
              strategy,
              role: "student",
              seed,
              teacher,
              ...(targets === undefined ? {} : { targets }),
              freeze: this.referenced.has(student.name),
              ...(strategy.kind === "two-way" && teacherRun.right.state !== undefined
                ? { peer: { spec: spec.teacher as ModelSpec, state: teacherRun.right.state } }
                : {}),
              ...(teacherRun.right.kept?.taskTeacher === undefined
                ? {}
                : { taskTeacher: teacherRun.right.kept.taskTeacher }),
            },
            remember,
          );
          if (E.isLeft(trained)) return trained;
          if (trained.right.teacher !== undefined) seedTeachers.byName.set(student.name, trained.right.teacher);
        } finally {
          if (names.length > 1) teacher.dispose();
        }
      }
      return E.right(undefined);
    } finally {
      // What this seed trained (an external teacher belongs to the whole run).
      for (const t of seedTeachers.byName.values()) if (t !== external?.teacher) t.dispose();
      teacherRun.right.kept?.dispose();
    }
  }

  /**
   * The teacher's top-K for a student whose strategy reads it: computed once per teacher (the
   * run's teacher: once for the largest K any student reads; a named teacher: for the largest K
   * its students read).
   */
  private async targetsFor(
    student: StudentSpec,
    names: ReadonlyArray<string>,
    teacher: Teacher,
    seedTeachers: SeedTeachers,
  ): Promise<TeacherTargets | undefined> {
    const own = teacherTopKNeeded(student.strategy ?? { kind: "none" });
    if (own === 0) return undefined;
    const key = names.join("+");
    const cached = seedTeachers.targets.get(key);
    if (cached !== undefined) return cached;
    const runTeacher = student.teacher === undefined;
    const k = Math.max(
      0,
      ...this.spec.students
        .filter((s) => (runTeacher ? true : (teachersOf(s) ?? [this.spec.teacher.name]).join("+") === key))
        .map((s) => teacherTopKNeeded(s.strategy ?? { kind: "none" })),
    );
    const targets = await teacherTopK(teacher, this.split.train, k);
    seedTeachers.targets.set(key, targets);
    return targets;
  }

  /** The external teacher's row of the results (seed 0 until a seed's row is made of it). */
  async evaluateExternal(teacher: Teacher): Promise<E.Either<KdrecError, ExternalRun>> {
    const valid = await evaluateFullRanking(teacher.scoreAll, {
      heldOut: this.split.valid,
      exclude: [this.split.train],
      ...(this.split.candidates === undefined ? {} : { candidates: this.split.candidates.valid }),
    });
    if (E.isLeft(valid)) return valid;
    const report = await onTestSplit(teacher.scoreAll, this.split);
    if (E.isLeft(report)) return report;
    const result: ModelResult = {
      name: teacher.name,
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
  }

  /** Creates a model from its spec through the registry. */
  private create(
    spec: ModelSpec,
    request: TrainRequest,
    alignTo?: ReadonlyArray<number>,
  ): E.Either<KdrecError, BuiltModel> {
    const entry = this.registry.get(spec.architecture);
    if (entry === undefined)
      return E.left(kdrecError("INVALID_CONFIG", `no architecture "${spec.architecture}" in the registry`, spec.name));
    const strategy = resolveStrategy(request.strategy);
    return entry.create(spec, {
      seed: request.seed,
      split: this.split,
      side: this.side,
      ...(alignTo === undefined ? {} : { alignTo }),
      ...(strategy.kind === "one-way"
        ? {
            teaching: {
              // A closed-form student mixes the top-K in once (the checks refuse an α per round for it).
              alpha: typeof strategy.alpha === "number" ? strategy.alpha : 0,
              ...(request.targets === undefined ? {} : { targets: request.targets }),
            },
          }
        : {}),
      ...(request.taskTeacher === undefined ? {} : { taskTeacher: request.taskTeacher }),
    });
  }

  /**
   * Creates the model (and a two-way peer), trains and evaluates it, and frees what the outcome
   * does not keep — on every path, failures included.
   */
  private async train(request: TrainRequest, remember: Remember): Promise<E.Either<KdrecError, TrainOutcome>> {
    const { spec, strategy, teacher } = request;
    if (this.options.signal?.aborted === true) return E.left(kdrecError("ABORTED", "the run was aborted", spec.name));
    const alignTo =
      strategy.kind === "one-way" && strategy.featureAlignment !== undefined ? teacher?.featureWidths : undefined;
    const located = (error: KdrecError): KdrecError => ({
      ...error,
      location: `${spec.name} seed ${request.seed}: ${error.location ?? ""}`,
    });
    const created = this.create(spec, request, alignTo);
    if (E.isLeft(created)) return E.left(located(created.left));
    let peer: BuiltModel | undefined;
    if (request.peer !== undefined) {
      const peerCreated = this.create(request.peer.spec, { ...request, strategy: { kind: "none" } });
      if (E.isLeft(peerCreated)) {
        created.right.dispose();
        return E.left(located(peerCreated.left));
      }
      peer = peerCreated.right;
    }
    let outcome: E.Either<KdrecError, TrainOutcome> | undefined;
    try {
      outcome = await this.trainCreated(request, created.right, peer, remember);
      return E.mapLeft(located)(outcome);
    } finally {
      peer?.dispose();
      // A multi-task teacher's heads stay alive: its students distil from them.
      if (outcome === undefined || E.isLeft(outcome) || outcome.right.kept === undefined) created.right.dispose();
    }
  }

  private async trainCreated(
    request: TrainRequest,
    built: BuiltModel,
    peerBuilt: BuiltModel | undefined,
    remember: Remember,
  ): Promise<E.Either<KdrecError, TrainOutcome>> {
    const { spec, strategy, role, seed, teacher, targets } = request;
    const { split, options } = this;
    const peerModel = peerBuilt?.model;
    if (peerModel !== undefined && request.peer !== undefined) peerModel.restoreTrainingState(request.peer.state);
    const onEvent = options.onEvent;
    const fitted = await fit({
      model: built.model,
      split,
      strategy,
      ...(teacher === undefined || strategy.kind !== "one-way" ? {} : { teacher }),
      ...(peerModel === undefined || !("trainStep" in peerModel) ? {} : { peer: peerModel }),
      ...(targets === undefined ? {} : { targets }),
      seed,
      ...(spec.batchSize === undefined ? {} : { batchSize: spec.batchSize }),
      ...(spec.maxEpochs === undefined ? {} : { maxEpochs: spec.maxEpochs }),
      ...(built.schedule === undefined
        ? spec.patience === undefined
          ? {}
          : { patience: spec.patience }
        : { schedule: built.schedule, patience: built.schedule.patience }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      onEpoch: (record) => onEvent?.({ kind: "epoch", model: spec.name, seed, record }),
      ...(onEvent === undefined
        ? {}
        : {
            onBatch: (done: number, total: number, epoch: number) =>
              onEvent({ kind: "batch", model: spec.name, seed, epoch, done, total }),
          }),
      ...(options.store === undefined ? {} : { checkpoints: options.store.checkpoints(spec.name, seed) }),
      ...definedFields({ fingerprint: this.fingerprints.get(spec.name) }, ["fingerprint"]),
    });
    if (E.isLeft(fitted)) return fitted;

    const scorer = built.testScorer();
    const report = await onTestSplit(scorer.score, split);
    const scoredAll = timeScoreAll(scorer.score, split);
    scorer.dispose();
    if (E.isLeft(report)) return report;
    const tasks = built.taskMetrics?.();
    if (tasks !== undefined && E.isLeft(tasks)) return tasks;
    const specFingerprint = this.fingerprints.get(spec.name)?.value ?? fingerprint(spec);
    await options.store?.saveModel(spec.name, seed, built.save(), {
      name: spec.name,
      role,
      seed,
      spec: { ...resolveModelSpec(spec, this.registry), ...(role === "teacher" ? {} : { strategy }) },
      specFingerprint,
      served: this.served(),
    });
    const result: ModelResult = {
      name: spec.name,
      role,
      architecture: spec.architecture,
      dim: spec.dim ?? 0,
      params: built.model.parameterCount,
      strategy: describeStrategy(strategy),
      losses: lossNames(strategy),
      seed,
      train_seconds: Number(fitted.right.trainSeconds.toFixed(2)),
      best_epoch: fitted.right.bestEpoch,
      valid: pick(fitted.right.valid),
      test: pick(report.right.summary),
      score_all_users_ms: Number(scoredAll.ms.toFixed(3)),
      popularity: popularityReport(split.train, split.test, report.right, scoredAll.top, 10),
      ...(tasks === undefined ? {} : { tasks: tasks.right }),
    };
    remember(result, report.right);
    onEvent?.({ kind: "model", result });
    if (peerBuilt !== undefined && request.peer !== undefined && fitted.right.peer !== undefined) {
      const peerScorer = peerBuilt.testScorer();
      const peerReport = await onTestSplit(peerScorer.score, split);
      peerScorer.dispose();
      if (E.isLeft(peerReport)) return peerReport;
      const name = `${request.peer.spec.name}~${spec.name}`;
      await options.store?.saveModel(name, seed, peerBuilt.save(), {
        name,
        role: "teacher",
        seed,
        spec: resolveModelSpec(request.peer.spec, this.registry),
        specFingerprint,
        served: this.served(),
      });
      // The student's popularity report is not the peer's.
      const { popularity: _studentPopularity, ...shared } = result;
      const peerResult: ModelResult = {
        ...shared,
        name,
        role: "teacher",
        architecture: request.peer.spec.architecture,
        dim: request.peer.spec.dim ?? 0,
        params: peerBuilt.model.parameterCount,
        strategy: `${describeStrategy(strategy)}, the teacher's side`,
        best_epoch: fitted.right.peer.bestEpoch,
        valid: pick(fitted.right.peer.valid),
        test: pick(peerReport.right.summary),
        score_all_users_ms: 0,
      };
      remember(peerResult, peerReport.right);
      onEvent?.({ kind: "model", result: peerResult, note: "the teacher after two-way training" });
    }
    return E.right({
      ...(request.freeze ? { teacher: built.freeze(spec.name) } : {}),
      ...(role === "teacher" && built.taskTeacher !== undefined ? { kept: built } : {}),
      // A teacher's state is what a two-way peer starts from.
      ...(role === "teacher" ? { state: built.model.trainingState() } : {}),
    });
  }
}

/** The dataset's side information as feature lists (a side without any feature is left out). */
const sideFeatures = (data: ExperimentOptions["data"], users: number, items: number): SideFeatures => {
  const userLists = userFeatureLists(data.users, users);
  const itemLists = itemFeatureLists(data.items, items);
  return {
    ...(userLists === undefined || userLists.names.length === 0 ? {} : { users: userLists }),
    ...(itemLists === undefined || itemLists.names.length === 0 ? {} : { items: itemLists }),
  };
};

/** Full-ranking metrics on the test split (training and validation items excluded; the split's candidates only). */
const onTestSplit = (score: (users: Int32Array) => tf.Tensor2D, split: Split) =>
  evaluateFullRanking(score, {
    heldOut: split.test,
    exclude: [split.train, split.valid],
    ...(split.candidates === undefined ? {} : { candidates: split.candidates.test }),
  });

/** The means of {@link TEST_METRICS} in a summary (a model never validated has none). */
const pick = (summary: Readonly<Record<string, { readonly mean: number }>>) =>
  Object.fromEntries(TEST_METRICS.filter((n) => summary[n] !== undefined).map((n) => [n, summary[n]!.mean]));

/** Users scored per batch when timing scoring and taking top 10s: bounded memory at any size. */
const SCORING_BATCH = 1024;

/**
 * Milliseconds to score every user against every item and read each user's top 10 (what serving
 * needs; downloading the whole score matrix would time the copy, not the model), over 5 runs; and
 * the top 10 itself, training items left out (what the popularity report reads). Users go in
 * batches of 1,024, so that the score matrix is never whole (70k users × 10k items would be 2.8 GB).
 */
const timeScoreAll = (
  score: (users: Int32Array) => tf.Tensor2D,
  split: Split,
): { readonly ms: number; readonly top: Int32Array } => {
  const users = numUsers(split.train);
  const items = numItems(split.train);
  const batches = [...indexBatches(users, SCORING_BATCH)];
  const reps = 5;
  const started = performance.now();
  for (let r = 0; r < reps; r++)
    for (const batch of batches) {
      const top = tf.tidy(() => tf.topk(score(batch), 10).indices);
      top.dataSync();
      top.dispose();
    }
  const ms = (performance.now() - started) / reps;
  const seen = userItemSets(split.train);
  const topItems = new Int32Array(users * 10);
  for (const batch of batches) {
    const mask = new Float32Array(batch.length * items);
    batch.forEach((u, b) => {
      for (const i of itemsOf(seen, u)) mask[b * items + i] = Number.NEGATIVE_INFINITY;
    });
    const top = tf.tidy(() => tf.topk(tf.add(score(batch), tf.tensor2d(mask, [batch.length, items])), 10).indices);
    topItems.set(top.dataSync() as Int32Array, batch[0]! * 10);
    top.dispose();
  }
  return { ms, top: topItems };
};

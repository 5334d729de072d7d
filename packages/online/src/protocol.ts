/**
 * The streaming comparison: on one stream, a student that never updates (frozen), one retrained
 * from scratch before every window (the upper bound, and the cost to beat), one updated
 * incrementally, and one updated incrementally while distilling online from a teacher that is
 * itself refreshed incrementally — each window evaluated before any of them sees it.
 * @module
 */
import { type KdrecError, seededRandom } from "@kdrec/core";
import { type Interactions, numItems, numUsers } from "@kdrec/data";
import { MatrixFactorization } from "@kdrec/students";
import * as E from "fp-ts/lib/Either.js";
import { incrementalUpdate, trainOnPairs } from "./incremental.js";
import { evaluateWindow, type StreamProtocol, StreamState, streamSplit, type WindowQuality } from "./stream.js";

/**
 * A model of the comparison: its size and how it trains from scratch.
 * @category Stream
 */
export interface StreamModel {
  readonly dim: number;
  /** Default 0.005. */
  readonly learningRate?: number;
  /** Default 0.001. */
  readonly l2?: number;
  /** Epochs of a training from scratch; default 40. */
  readonly epochs?: number;
}

/**
 * The comparison's settings.
 * @category Stream
 */
export interface StreamExperiment {
  readonly protocol?: StreamProtocol;
  readonly seed?: number;
  readonly student: StreamModel;
  /** The teacher of online distillation; default MF-64. */
  readonly teacher?: StreamModel;
  /** Incremental updates: epochs over each window and replayed interactions per new one; default 5 and 1. */
  readonly update?: { readonly epochs?: number; readonly replay?: number };
  /** Online distillation: α, temperature, candidates; default 0.8, 0.5, 100. */
  readonly distillation?: { readonly alpha?: number; readonly temperature?: number; readonly candidates?: number };
  /** Called after each window with its index and the methods' quality on it. */
  readonly onWindow?: (window: number, quality: Readonly<Record<StreamMethod, WindowQuality>>) => void;
}

/**
 * The methods compared.
 * @category Stream
 */
export type StreamMethod = "frozen" | "retrain" | "incremental" | "incremental-kd";

/**
 * One method's windows, means and cost: the interactions its training processed (rows × epochs,
 * a teacher's included) and the seconds it took — for the initial training (shared by the
 * students; the teacher's only for online distillation) and for the updates between windows.
 * @category Stream
 */
export interface StreamMethodResult {
  readonly windows: ReadonlyArray<WindowQuality>;
  readonly "hr@10": number;
  readonly "ndcg@10": number;
  readonly initial: { readonly interactions: number; readonly seconds: number };
  readonly updates: { readonly interactions: number; readonly seconds: number };
}

/**
 * Interactions one after another (the parts share ids and index space, as a stream's do).
 * @category Stream
 */
export const concatInteractions = (parts: ReadonlyArray<Interactions>): Interactions => {
  const n = parts.reduce((sum, p) => sum + p.users.length, 0);
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  let at = 0;
  for (const part of parts) {
    users.set(part.users, at);
    items.set(part.items, at);
    at += part.users.length;
  }
  return { users, items, userIds: parts[0]!.userIds, itemIds: parts[0]!.itemIds };
};

/**
 * Runs the streaming comparison on `data` (which needs timestamps).
 * @example
 * ```ts
 * const result = runStream(data.interactions, { student: { dim: 8 }, protocol: { start: 0.7, windows: 10 } });
 * if (E.isRight(result)) console.log(result.right["incremental-kd"]["ndcg@10"]);
 * ```
 * @category Stream
 */
export const runStream = (
  data: Interactions,
  experiment: StreamExperiment,
): E.Either<KdrecError, Readonly<Record<StreamMethod, StreamMethodResult>>> => {
  const split = streamSplit(data, experiment.protocol);
  if (E.isLeft(split)) return split;
  const { initial, windows } = split.right;
  const [users, items] = [numUsers(data), numItems(data)];
  const seed = experiment.seed ?? 1;
  const studentSpec = experiment.student;
  const teacherSpec = experiment.teacher ?? { dim: 64 };
  const update = { epochs: experiment.update?.epochs ?? 5, replay: experiment.update?.replay ?? 1 };
  const create = (spec: StreamModel, salt: number) =>
    MatrixFactorization.create({
      users,
      items,
      dim: spec.dim,
      seed: seed * 1000 + salt,
      l2: spec.l2 ?? 0.001,
      optimizer: { kind: "adam", learningRate: spec.learningRate ?? 0.005 },
    });
  // Trains a fresh model on `parts`, counting what it processed.
  const fromScratch = (spec: StreamModel, parts: ReadonlyArray<Interactions>, salt: number) => {
    const model = create(spec, salt);
    const state = new StreamState(users, items);
    const all = concatInteractions(parts);
    state.add(all);
    const cost = trainOnPairs(model, all.users, all.items, state, { epochs: spec.epochs ?? 40, seed: seed + salt });
    return { model, cost };
  };
  const timed = <A>(work: () => A): [A, number] => {
    const start = performance.now();
    const result = work();
    return [result, (performance.now() - start) / 1000];
  };

  const [initialStudent, studentSeconds] = timed(() => fromScratch(studentSpec, [initial], 1));
  const [initialTeacher, teacherSeconds] = timed(() => fromScratch(teacherSpec, [initial], 2));
  // Each method's model and its own view of what is known (the incremental ones grow it as they go).
  const copy = (model: MatrixFactorization) => model.grown(users, items);
  const models: Record<StreamMethod, MatrixFactorization> = {
    frozen: initialStudent.model,
    retrain: initialStudent.model,
    incremental: copy(initialStudent.model),
    "incremental-kd": copy(initialStudent.model),
  };
  const teacher = initialTeacher.model;
  const initialCost: Record<StreamMethod, { interactions: number; seconds: number }> = {
    frozen: { interactions: initialStudent.cost, seconds: studentSeconds },
    retrain: { interactions: initialStudent.cost, seconds: studentSeconds },
    incremental: { interactions: initialStudent.cost, seconds: studentSeconds },
    "incremental-kd": {
      interactions: initialStudent.cost + initialTeacher.cost,
      seconds: studentSeconds + teacherSeconds,
    },
  };
  const cost: Record<StreamMethod, { interactions: number; seconds: number }> = {
    frozen: { interactions: 0, seconds: 0 },
    retrain: { interactions: 0, seconds: 0 },
    incremental: { interactions: 0, seconds: 0 },
    "incremental-kd": { interactions: 0, seconds: 0 },
  };
  const state = new StreamState(users, items);
  state.add(initial);
  const methods: StreamMethod[] = ["frozen", "retrain", "incremental", "incremental-kd"];
  const perWindow: Record<StreamMethod, WindowQuality[]> = {
    frozen: [],
    retrain: [],
    incremental: [],
    "incremental-kd": [],
  };
  const rng = seededRandom(seed).split("stream");
  for (const [w, window] of windows.entries()) {
    const quality = Object.fromEntries(
      methods.map((method) => {
        const scorer = userScores(models[method]);
        return [method, evaluateWindow(scorer, window, state)];
      }),
    ) as Record<StreamMethod, WindowQuality>;
    for (const method of methods) perWindow[method].push(quality[method]);
    experiment.onWindow?.(w, quality);
    if (w === windows.length - 1) break; // nothing left to predict
    const past = concatInteractions([initial, ...windows.slice(0, w)]);
    const updateSeed = rng.split(`window-${w}`).seed;
    // Incremental: each method grows its own copy of the state (the update records the events).
    const [incrementalCost, incrementalSeconds] = timed(() =>
      incrementalUpdate(models.incremental, window, past, stateOf(users, items, past), {
        ...update,
        seed: updateSeed,
      }),
    );
    cost.incremental.interactions += incrementalCost;
    cost.incremental.seconds += incrementalSeconds;
    // Online distillation: refresh the teacher on the window, then distil while updating the student.
    const [kdCost, kdSeconds] = timed(
      () =>
        incrementalUpdate(teacher, window, past, stateOf(users, items, past), { ...update, seed: updateSeed + 1 }) +
        incrementalUpdate(models["incremental-kd"], window, past, stateOf(users, items, past), {
          ...update,
          seed: updateSeed + 2,
          teacher: { model: teacher, ...experiment.distillation },
        }),
    );
    cost["incremental-kd"].interactions += kdCost;
    cost["incremental-kd"].seconds += kdSeconds;
    const [retrained, retrainSeconds] = timed(() =>
      fromScratch(studentSpec, [initial, ...windows.slice(0, w + 1)], 10 + w),
    );
    models.retrain = retrained.model;
    cost.retrain.interactions += retrained.cost;
    cost.retrain.seconds += retrainSeconds;
    state.add(window);
  }
  const mean = (values: ReadonlyArray<WindowQuality>, key: "hr@10" | "ndcg@10") =>
    values.reduce((sum, q) => sum + q[key], 0) / values.length;
  return E.right(
    Object.fromEntries(
      methods.map((method) => [
        method,
        {
          windows: perWindow[method],
          "hr@10": mean(perWindow[method], "hr@10"),
          "ndcg@10": mean(perWindow[method], "ndcg@10"),
          initial: { ...initialCost[method], seconds: Number(initialCost[method].seconds.toFixed(2)) },
          updates: { ...cost[method], seconds: Number(cost[method].seconds.toFixed(2)) },
        },
      ]),
    ) as unknown as Record<StreamMethod, StreamMethodResult>,
  );
};

/** The state as it stands before a window, fresh (each update adds the window to its own). */
const stateOf = (users: number, items: number, past: Interactions): StreamState => {
  const copy = new StreamState(users, items);
  copy.add(past);
  return copy;
};

/**
 * A user's scores over every item from an MF model's tables (plain loops, one user at a time):
 * what {@link evaluateWindow} reads.
 * @category Stream
 */
export const userScores = (model: MatrixFactorization): ((user: number) => Float32Array) => {
  const { dim, items } = model.config;
  const [P, Q] = [model.userFactors, model.itemFactors];
  return (user: number): Float32Array => {
    const scores = new Float32Array(items);
    for (let i = 0; i < items; i++) {
      let s = 0;
      for (let c = 0; c < dim; c++) s += P[user * dim + c]! * Q[i * dim + c]!;
      scores[i] = s;
    }
    return scores;
  };
};

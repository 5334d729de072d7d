/**
 * Representation distillation added to a one-way strategy: beside the loss on scores, the
 * student's vectors for a batch's users and items learn from the teacher's —
 *
 * - `ftd`: full topology distillation (Kang et al., KDD 2021): the cosine similarities among the
 *   batch's entities match the teacher's;
 * - `htd`: hierarchical topology distillation (same paper), for small students: entities are
 *   grouped by distillation experts' gate over the teacher's vectors; similarities within groups
 *   and to the groups' prototypes match, and the experts train as in DE;
 * - `de`: distillation experts (Kang et al., CIKM 2020; DE-RRD's DE, with `loss: ranking` or
 *   `listwise-ranking` the whole method): per entity an expert chosen by a Gumbel-softmax over a
 *   gate reading the teacher's vector maps the student's vector to the teacher's.
 *
 * The experts (and gate) are the plan's own parameters, trained by their own Adam and kept in
 * checkpoints; the student drops them after training. Users and items have experts of their own.
 * @module
 */
import {
  integerInRange,
  type KdrecError,
  kdrecError,
  positiveAtMost,
  positiveNumber,
  type Random,
  seededRandom,
  strictType,
} from "@kdrec/core";
import { type ExpertsParams, expertGate, expertOutputs, initExperts, variablesOf } from "@kdrec/layers";
import {
  expertAlignmentLoss,
  gumbelSoftmax,
  hierarchicalTopologyLoss,
  type LossTerm,
  lossTerm,
  mixtureLoss,
  type Schedule,
  type TrainingProgress,
  topologyLoss,
  weightAt,
} from "@kdrec/losses";
import {
  type DenseAdam,
  type DenseAdamState,
  denseAdam,
  type EntityRepresentations,
  hasRepresentations,
} from "@kdrec/model-kit";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import type { BatchPlan, BoundPlan } from "./plan.js";
import { checkRoundValue, type RoundValue, roundSchedule, roundValue } from "./round_values.js";
import { type RepresentationPair, type ScoredLists, scoredLists } from "./scored_lists.js";
import { termMeter } from "./term_meter.js";

/**
 * Representation distillation's options in a config (`strategy.representation`).
 * @category Strategies
 */
export const RepresentationSpec = strictType(
  { method: t.keyof({ ftd: null, htd: null, de: null }) },
  {
    weight: positiveNumber,
    experts: integerInRange(1, 256),
    temperature: roundValue(positiveAtMost(100), "temperature"),
    entities: integerInRange(2, 100_000),
    learningRate: positiveAtMost(1),
  },
  "RepresentationSpec",
);
/**
 * The decoded form of {@link RepresentationSpec}.
 * @category Strategies
 */
export type RepresentationSpec = t.TypeOf<typeof RepresentationSpec>;

/**
 * Representation distillation's defaults: 5 experts (and groups) per side, a Gumbel temperature
 * annealed from 1 to 0.1 across the rounds, at most 256 users and 256 items of a batch, experts'
 * learning rate 1e-3. The weight's default depends on the method ({@link defaultRepresentationWeight}).
 * @category Strategies
 */
export const REPRESENTATION_DEFAULTS = {
  experts: 5,
  temperature: { from: 1, to: 0.1 },
  entities: 256,
  learningRate: 1e-3,
} as const satisfies Required<Omit<RepresentationSpec, "method" | "weight">>;

/**
 * The default weight of a method's term: 1 for the topology losses (means over pairs of
 * similarity differences, which do not depend on the batch size), 0.1 for distillation experts
 * (whose squared distance sums over the teacher's width: at 1 it swamped BPR on ML-100K, measured).
 * @category Strategies
 */
export const defaultRepresentationWeight = (method: RepresentationSpec["method"]): number =>
  method === "de" ? 0.1 : 1;

/**
 * Representation distillation with every default filled in.
 * @category Strategies
 */
export const resolveRepresentation = (representation: RepresentationSpec): ResolvedRepresentation => ({
  ...REPRESENTATION_DEFAULTS,
  weight: defaultRepresentationWeight(representation.method),
  ...representation,
});

/**
 * Representation distillation with every default filled in.
 * @category Strategies
 */
export type ResolvedRepresentation = Required<RepresentationSpec>;

/**
 * The name of the method's term in reports.
 * @category Strategies
 */
export const representationTermName = (method: RepresentationSpec["method"]): string =>
  method === "de" ? "distillation-experts" : `topology-${method}`;

/** The experts and gate of each side, and all their variables (in checkpoint order). */
interface Experts {
  readonly users: ExpertsParams;
  readonly items: ExpertsParams;
  readonly variables: tf.Variable[];
}

/**
 * The representation term of a strategy's mixture: the method's loss over a batch's
 * representations, reading the experts it is given (none for `ftd`).
 */
const representationLoss =
  (spec: ResolvedRepresentation, temperature: number | Schedule, experts: Experts | undefined, noise: () => Noise) =>
  (pair: RepresentationPair, progress: TrainingProgress): tf.Scalar =>
    tf.tidy(() => {
      const { student, teacher } = pair;
      if (spec.method === "ftd")
        return topologyLoss(tf.concat([student.users, student.items]), tf.concat([teacher.users, teacher.items]));
      const T = weightAt(temperature, progress);
      const { users: userNoise, items: itemNoise } = noise();
      const side = (params: ExpertsParams, s: tf.Tensor2D, tt: tf.Tensor2D, g: tf.Tensor2D) =>
        expertAlignmentLoss(expertOutputs(params, s), gumbelSoftmax(expertGate(params, tt), g, T), tt);
      const de = tf.add(
        side(experts!.users, student.users, teacher.users, userNoise),
        side(experts!.items, student.items, teacher.items, itemNoise),
      ) as tf.Scalar;
      if (spec.method === "de") return de;
      // HTD: groups by the gate's choice over the teacher's vectors (item groups after the users').
      const groups = Int32Array.from([
        ...(tf.argMax(expertGate(experts!.users, teacher.users), 1).dataSync() as Int32Array),
        ...Array.from(
          tf.argMax(expertGate(experts!.items, teacher.items), 1).dataSync() as Int32Array,
          (g) => g + spec.experts,
        ),
      ]);
      const topology = hierarchicalTopologyLoss(
        tf.concat([student.users, student.items]),
        tf.concat([teacher.users, teacher.items]),
        groups,
      );
      return tf.add(de, topology) as tf.Scalar;
    });

interface Noise {
  readonly users: tf.Tensor2D;
  readonly items: tf.Tensor2D;
}

/** Gumbel(0, 1) draws `[n, k]`. */
const gumbel = (rng: Random, n: number, k: number): tf.Tensor2D => {
  const values = new Float32Array(n * k);
  for (let j = 0; j < values.length; j++) values[j] = -Math.log(-Math.log(rng.float() * (1 - 1e-7) + 1e-7 / 2));
  return tf.tensor2d(values, [n, k]);
};

/**
 * What the experts' state is in a checkpoint: their weights (in {@link variablesOf} order) and Adam's.
 * @category Plans
 */
export interface ExpertsState {
  readonly weights: ReadonlyArray<Float32Array>;
  readonly adam: DenseAdamState;
}

/**
 * Adds representation distillation to a student's plan: the step becomes the student's
 * representation step (its list scores and its first distinct users' and items' vectors), the
 * mixture gains the method's term, and the experts train beside the student.
 * @example
 * ```ts
 * const plan = withRepresentationDistillation(distillPlan, { method: "htd" }, 5);
 * ```
 * @category Plans
 */
export const withRepresentationDistillation = (
  plan: BatchPlan,
  representation: RepresentationSpec,
  rounds: number,
): BatchPlan => {
  const spec = resolveRepresentation(representation);
  const temperature = roundSchedule(spec.temperature as RoundValue, rounds);
  const name = representationTermName(spec.method);
  const settings = spec.method === "ftd" ? undefined : { temperature };
  // The unbound plan lists the term (its name, weight and settings, for reports); the bound step,
  // which owns the experts, computes it.
  const report = lossTerm<ScoredLists>(name, () => tf.scalar(0), spec.weight, settings);
  return {
    ...plan,
    terms: [...plan.terms, report],
    bind: ({ model, teacher, seed }) => {
      const step = model.trainStepWithRepresentations?.bind(model);
      const studentWidth = model.representationWidth;
      if (step === undefined || studentWidth === undefined)
        return E.left(
          kdrecError(
            "INVALID_ARGUMENT",
            "representation distillation needs a student that exposes its users' and items' vectors (MF)",
            "strategy.representation",
          ),
        );
      if (teacher === undefined || !hasRepresentations(teacher))
        return E.left(
          kdrecError(
            "INVALID_ARGUMENT",
            `representation distillation needs a teacher that exposes its users' and items' vectors (an MF teacher); ${teacher?.name ?? "none"} does not`,
            "strategy.representation",
          ),
        );
      const rng = seededRandom(seed ?? 0).split(`representation-${spec.method}`);
      const experts =
        spec.method === "ftd" ? undefined : createExperts(rng, spec, studentWidth, teacher.representationWidth);
      const adam =
        experts === undefined ? undefined : denseAdam(experts.variables, { learningRate: spec.learningRate });
      // The step's Gumbel noise, from a stream that restarts at each epoch (so a resumed run draws
      // what the uninterrupted one did).
      let noiseEpoch = -1;
      let noiseRng = rng;
      let noise: Noise | undefined;
      const compute = representationLoss(spec, temperature, experts, () => noise!);
      const terms: ReadonlyArray<LossTerm<ScoredLists>> = [
        ...plan.terms,
        lossTerm<ScoredLists>(name, (s, progress) => compute(s.representations!, progress), spec.weight, settings),
      ];
      const meter = termMeter();
      const limit = { users: spec.entities, items: spec.entities };
      const bound: BoundPlan = {
        termLosses: () => meter.read(),
        step: (lists, progress) => {
          if (progress.epoch !== noiseEpoch) {
            noiseEpoch = progress.epoch;
            noiseRng = rng.split(`noise-epoch-${progress.epoch}`);
          }
          const loss = step(lists, limit, (scores, rows, gradients) => {
            const teacherRows = teacher.representations(rows.users, rows.items);
            if (experts !== undefined)
              noise = {
                users: gumbel(noiseRng, rows.users.length, spec.experts),
                items: gumbel(noiseRng, rows.items.length, spec.experts),
              };
            const student = tf.tensor2d(scores.slice(), [lists.users.length, lists.width]);
            const pair: RepresentationPair = {
              student: entityTensors(rows),
              teacher: entityTensors(teacherRows),
            };
            const xs = [student, pair.student.users, pair.student.items, ...(experts?.variables ?? [])];
            const { value, grads } = valueAndGradients(() => {
              const mixture = mixtureLoss(
                terms,
                { ...scoredLists(student, lists, teacher), representations: pair },
                progress,
              );
              meter.capture(mixture.parts);
              return mixture.total;
            }, xs);
            // Read outside tidy: tidy would walk every element of a returned TypedArray.
            const read = (g: tf.Tensor | null | undefined, into: Float32Array) => {
              if (g !== null && g !== undefined) into.set(g.dataSync() as Float32Array);
            };
            read(grads[0], gradients.scores);
            read(grads[1], gradients.userRows);
            read(grads[2], gradients.itemRows);
            adam?.apply(grads.slice(3));
            const lossValue = value.dataSync()[0]!;
            tf.dispose([
              value,
              ...grads.filter((g): g is tf.Tensor => g !== null && g !== undefined),
              student,
              pair.student.users,
              pair.student.items,
              pair.teacher.users,
              pair.teacher.items,
              ...(noise === undefined ? [] : [noise.users, noise.items]),
            ]);
            noise = undefined;
            return lossValue;
          });
          meter.add();
          return loss;
        },
        ...(experts === undefined || adam === undefined ? {} : expertsLifecycle(experts, adam)),
      };
      return E.right(bound);
    },
  };
};

/** `loss`'s value and its gradients with respect to `xs` (null where it does not read one), in one tape. */
const valueAndGradients = (loss: () => tf.Scalar, xs: tf.Tensor[]) =>
  tf.tidy(() => tf.engine().gradients(loss, xs, undefined, true));

/** How a bound plan keeps the experts: their state in checkpoints, and their disposal. */
const expertsLifecycle = (experts: Experts, adam: DenseAdam): Pick<BoundPlan, "state" | "dispose"> => ({
  state: {
    save: (): ExpertsState => ({
      weights: experts.variables.map((v) => (v.dataSync() as Float32Array).slice()),
      adam: adam.state(),
    }),
    load: (state: unknown) => {
      const { weights, adam: adamState } = state as ExpertsState;
      tf.tidy(() => {
        experts.variables.forEach((v, k) => {
          v.assign(tf.tensor(weights[k]!.slice(), v.shape));
        });
      });
      adam.load(adamState);
    },
  },
  dispose: () => {
    adam.dispose();
    tf.dispose(experts.variables);
  },
});

const createExperts = (
  rng: Random,
  spec: ResolvedRepresentation,
  studentWidth: number,
  teacherWidth: number,
): Experts => {
  const users = initExperts(rng.split("users"), spec.experts, studentWidth, teacherWidth);
  const items = initExperts(rng.split("items"), spec.experts, studentWidth, teacherWidth);
  return { users, items, variables: [...variablesOf(users), ...variablesOf(items)] };
};

const entityTensors = (rows: EntityRepresentations) => ({
  users: tf.tensor2d(rows.userRows, [rows.users.length, rows.width]),
  items: tf.tensor2d(rows.itemRows, [rows.items.length, rows.width]),
});

/**
 * Problems of representation distillation's options that their codec cannot see: a per-round
 * temperature list whose length is not the number of rounds.
 * @category Strategies
 */
export const checkRepresentation = (
  representation: RepresentationSpec | undefined,
  rounds: number,
): E.Either<KdrecError, void> =>
  checkRoundValue(representation?.temperature as RoundValue | undefined, rounds, "representation.temperature");

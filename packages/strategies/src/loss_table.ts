/**
 * The distillation losses of one-way strategies, as an open table (as torchdistill's loss
 * registry): one entry per loss kind with its config options, defaults, description, what it
 * needs of the teacher and the catalogue, and how it trains a batch. The built-in losses register
 * here; a user registers a new one from outside the package with
 * {@link registerDistillationLoss} and uses it from TypeScript and from configs alike.
 * @module
 */
import { type KdrecError, type Random, taggedUnion } from "@kdrec/core";
import type { PairwiseBatch } from "@kdrec/data";
import type { LossTerm, Schedule } from "@kdrec/losses";
import type { RowItemLists, TeacherTargets } from "@kdrec/model-kit";
import type * as E from "fp-ts/lib/Either.js";
import type * as t from "io-ts";
import { mseLoss } from "./mse_loss.js";
import type { ScoredLists } from "./scored_lists.js";
import { softLabelLoss } from "./soft_label_loss.js";
import { listwiseRankingLoss, rankingLoss } from "./teacher_top_losses.js";
import { unkdLoss } from "./unkd_loss.js";

/**
 * What a loss's plan may read: the catalogue size, the distillation ratio α (a schedule over the
 * rounds, weighting the loss's own term; `complement(alpha)` weights the task loss), the number
 * of rounds, and the teacher's top-K targets when the run computed them.
 * @category Losses
 */
export interface LossContext {
  readonly numItems: number;
  readonly alpha: number | Schedule;
  readonly rounds: number;
  readonly targets?: TeacherTargets;
  /** Training interactions per item (what popularity-aware losses such as UnKD read). */
  readonly itemCounts?: Int32Array;
}

/**
 * How a distillation loss trains a batch: the rows' item lists (positive, negative, then what it
 * adds) and its loss mixture over their scores (the task loss's share included). Terms read the
 * teacher's scores of the lists as `scored.teacher`, computed only when a term reads them.
 * @category Losses
 */
export interface LossPlan {
  readonly width: number;
  lists(batch: PairwiseBatch, rng: Random): RowItemLists;
  readonly terms: ReadonlyArray<LossTerm<ScoredLists>>;
  /** Refreshes what the lists draw from the teacher at the start of each round (`rng` is the round's). */
  beforeRound?(round: number, rng: Random): void;
}

/**
 * A size a loss draws from the catalogue (checked against the dataset before training):
 * `field` under the strategy (`loss.topK`), the size, and what it is.
 * @category Losses
 */
export interface CatalogueDraw {
  readonly field: string;
  readonly size: number;
  readonly what: string;
}

/**
 * One entry of the loss table. `L` is the loss's resolved options (every default filled in).
 * @category Losses
 */
export interface DistillationLossEntry<L extends object = object> {
  /** The `kind` configs name it by. */
  readonly kind: string;
  /** The name of its term in reports (`soft-label-ce`). */
  readonly termName: string;
  /** The io-ts props of its options (all optional in configs). */
  readonly options: t.Props;
  /** Every option's default. */
  readonly defaults: L;
  /** Its options in a few words: `T=0.5, 100 candidates`. */
  describe(loss: L): string;
  /** How many of the teacher's top unobserved items per user it reads (0: none). */
  teacherTopK(loss: L): number;
  /** What it draws from the catalogue. */
  draws(loss: L): ReadonlyArray<CatalogueDraw>;
  /** Problems among its options that their codecs cannot see (located under `loss.`). */
  check?(loss: L): E.Either<KdrecError, void>;
  /** Its batch plan; fails when the context lacks what it needs (the teacher's top-K). */
  plan(loss: L, context: LossContext): E.Either<KdrecError, LossPlan>;
}

/**
 * A loss's options with their kind, as decoded from a config (options not set are absent).
 * @category Losses
 */
export type DistillationLoss = { readonly kind: string } & Readonly<Record<string, unknown>>;

// The built-in losses; entries only import this module's types, so there is no import cycle.
const table = new Map<string, DistillationLossEntry>(
  [softLabelLoss, mseLoss, rankingLoss, listwiseRankingLoss, unkdLoss].map((entry) => [
    entry.kind,
    entry as unknown as DistillationLossEntry,
  ]),
);

/**
 * Adds a loss to the table (or replaces the entry of its kind), for TypeScript and configs alike.
 * @example
 * ```ts
 * registerDistillationLoss({
 *   kind: "my-loss",
 *   termName: "my-loss",
 *   options: {},
 *   defaults: {},
 *   describe: () => "",
 *   teacherTopK: () => 0,
 *   draws: () => [],
 *   plan: () => E.right(taskOnlyPlan()),
 * });
 * ```
 * @category Losses
 */
export const registerDistillationLoss = <L extends object>(entry: DistillationLossEntry<L>): void => {
  table.set(entry.kind, entry as unknown as DistillationLossEntry);
};

/**
 * The kinds in the table, in registration order.
 * @category Losses
 */
export const distillationLossKinds = (): string[] => [...table.keys()];

/**
 * The entry of `loss.kind` and the loss with its defaults filled in.
 * @category Losses
 */
export const lossEntry = (
  loss: DistillationLoss,
): { readonly entry: DistillationLossEntry; readonly resolved: object } => {
  const entry = table.get(loss.kind);
  if (entry === undefined)
    throw new RangeError(
      `no distillation loss "${loss.kind}" (registered: ${distillationLossKinds().join(", ")}); register it first`,
    );
  return { entry, resolved: { ...entry.defaults, ...loss } };
};

/**
 * The codec of a one-way strategy's `loss`: its `kind` picks the entry (the valid kinds are the
 * table's, read when a config is decoded), and only that entry's options are accepted.
 * @category Losses
 */
export const DistillationLoss: t.Type<DistillationLoss, DistillationLoss, unknown> = taggedUnion<DistillationLoss>(
  "kind",
  () => new Map([...table].map(([kind, entry]) => [kind, { required: {}, optional: entry.options }])),
  "DistillationLoss",
);

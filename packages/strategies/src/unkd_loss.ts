/**
 * Popularity-stratified distillation after UnKD (Chen et al., WSDM 2023): the items are split into
 * groups of similar training popularity, and the student learns the teacher's ranking *within*
 * each group only, so the teacher's preference for popular items (the ranking *between* groups) is
 * not passed on. kdrec's form is listwise: per row, `perGroup` uniform draws from each group, and a
 * soft-label cross-entropy within each group's block (the paper samples rank-aware pairs within
 * groups; the stratification, which is what removes the bias, is the same).
 * @module
 */
import { integerInRange, kdrecError, positiveAtMost } from "@kdrec/core";
import {
  complement,
  describeSchedule,
  lossTerm,
  type Schedule,
  softLabelCrossEntropy,
  softLabelGradient,
  weightAt,
  withClosedForm,
  withKernelTerms,
} from "@kdrec/losses";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import type { DistillationLossEntry } from "./loss_table.js";
import { bprTerm, rowLists, teacherScores } from "./plan.js";
import { describeRoundValue, type RoundValue, roundSchedule, roundValue } from "./round_values.js";
import type { ScoredLists } from "./scored_lists.js";

/**
 * UnKD's options, resolved.
 * @category Losses
 */
export interface UnkdLoss {
  readonly kind: "unkd";
  /** Popularity groups; default 4. */
  readonly groups: number;
  /** Uniform draws per group per row; default 25. */
  readonly perGroup: number;
  /** Temperature of the within-group distributions, per round if wished; default 1. */
  readonly temperature: RoundValue;
}

/**
 * Items split into `groups` groups of similar popularity: sorted by training count (most popular
 * first, ties by index), cut where the running count passes each 1/`groups` of all interactions,
 * so each group holds about the same share of the training interactions (the head group few
 * items, the tail group many). Every group gets at least one item. Returns each group's items.
 * @example
 * ```ts
 * popularityGroups(Int32Array.of(50, 1, 30, 1, 10, 8), 2); // [[0], [2, 4, 5, 1, 3]]
 * ```
 * @category Losses
 */
export const popularityGroups = (itemCounts: ArrayLike<number>, groups: number): Int32Array[] => {
  const n = itemCounts.length;
  if (!(Number.isInteger(groups) && groups >= 1 && groups <= n))
    throw new RangeError(`popularityGroups: groups must be an integer in [1, ${n}], got ${groups}`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => itemCounts[b]! - itemCounts[a]! || a - b);
  let total = 0;
  for (let i = 0; i < n; i++) total += itemCounts[i]!;
  const out: Int32Array[] = [];
  let start = 0;
  let running = 0;
  for (let g = 0; g < groups; g++) {
    // Leave at least one item for each later group.
    const last = n - (groups - g);
    let end = start + 1;
    running += itemCounts[order[start]!]!;
    while (end <= last && g < groups - 1 && running < ((g + 1) * total) / groups) running += itemCounts[order[end++]!]!;
    if (g === groups - 1) end = n;
    out.push(Int32Array.from(order.slice(start, end)));
    start = end;
  }
  return out;
};

/** The within-group soft-label term: the mean over groups of each block's cross-entropy. */
const withinGroupsTerm = (
  groups: number,
  perGroup: number,
  temperature: number | Schedule,
  weight: number | Schedule,
) => {
  const block = (scores: tf.Tensor2D, g: number) =>
    tf.slice(scores, [0, 2 + g * perGroup], [-1, perGroup]) as tf.Tensor2D;
  return withClosedForm(
    lossTerm(
      `unkd-ce(T=${describeSchedule(temperature)}, ${groups} groups)`,
      (s: ScoredLists, progress) =>
        tf.tidy(() => {
          const teacher = teacherScores(s);
          const t = weightAt(temperature, progress);
          const losses = Array.from({ length: groups }, (_, g) =>
            softLabelCrossEntropy(block(s.student, g), block(teacher, g), t),
          );
          return tf.div(tf.addN(losses), groups) as tf.Scalar;
        }),
      weight,
      { temperature },
    ),
    (progress) => {
      const t = weightAt(temperature, progress);
      const perBlock = Array.from({ length: groups }, (_, g) => softLabelGradient(2 + g * perGroup, perGroup, t));
      // A list kernel takes the blocks as soft-label terms of a 1/groups share each.
      return withKernelTerms(
        (scores, w, gradient) => {
          let total = 0;
          for (const loss of perBlock) total += loss(scores, w / groups, gradient);
          return total / groups;
        },
        perBlock.flatMap((loss) => loss.kernel!.map(({ term }) => ({ term, scale: 1 / groups }))),
      );
    },
  );
};

/**
 * The UnKD entry of the loss table. Needs the training popularity of every item
 * (`LossContext.itemCounts`, which `fit` provides).
 * @category Losses
 */
export const unkdLoss: DistillationLossEntry<UnkdLoss> = {
  kind: "unkd",
  termName: "unkd-ce",
  options: {
    groups: integerInRange(1, 100),
    perGroup: integerInRange(1),
    temperature: roundValue(positiveAtMost(100), "temperature"),
  },
  defaults: { kind: "unkd", groups: 4, perGroup: 25, temperature: 1 },
  describe: (loss) =>
    `T=${describeRoundValue(loss.temperature)}, ${loss.groups} popularity groups × ${loss.perGroup} candidates`,
  teacherTopK: () => 0,
  draws: (loss) => [{ field: "loss.groups", size: loss.groups, what: "popularity groups" }],
  plan: (loss, context) => {
    if (context.itemCounts === undefined)
      return E.left(
        kdrecError(
          "INVALID_ARGUMENT",
          "UnKD needs the training popularity of every item (itemCounts)",
          "strategy.loss",
        ),
      );
    const groups = popularityGroups(context.itemCounts, loss.groups);
    const { perGroup } = loss;
    const width = 2 + loss.groups * perGroup;
    return E.right({
      width,
      lists: rowLists(width, (_user, out, offset, rng) => {
        // Each group's draws as indices in one call (the stream of a call per draw), then items.
        for (let g = 0; g < groups.length; g++) {
          const items = groups[g]!;
          const from = offset + g * perGroup;
          rng.fillInts(out, from, from + perGroup, items.length);
          for (let k = from; k < from + perGroup; k++) out[k] = items[out[k]!]!;
        }
      }),
      terms: [
        bprTerm(complement(context.alpha)),
        withinGroupsTerm(loss.groups, perGroup, roundSchedule(loss.temperature, context.rounds), context.alpha),
      ],
    });
  },
};

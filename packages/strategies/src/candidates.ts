/**
 * The items a plan adds to a row beyond its positive and negative: uniform draws from the
 * catalogue, draws by a per-user sampler, or the teacher's top items.
 * @module
 */
import type { Random } from "@kdrec/core";
import type { TeacherTargets } from "@kdrec/model-kit";
import { rowLists } from "./plan.js";

/**
 * Writes a user's candidates to `out[from..to)`.
 * @category Plans
 */
export type CandidateSampler = (user: number, out: Int32Array, from: number, to: number, rng: Random) => void;

/**
 * Uniform draws from the catalogue, in one loop (a call per candidate cost a third of a step).
 * @category Plans
 */
export const uniformItems =
  (numItems: number): CandidateSampler =>
  (_user, out, from, to, rng) =>
    rng.fillInts(out, from, to, numItems);

/**
 * Draws by a per-user item sampler.
 * @category Plans
 */
export const sampledItems =
  (sampleItem: (user: number, rng: Random) => number): CandidateSampler =>
  (user, out, from, to, rng) => {
    for (let k = from; k < to; k++) out[k] = sampleItem(user, rng);
  };

/**
 * A user's top `k` of the teacher's targets, in the teacher's order.
 * @category Plans
 */
export const topOf = (targets: TeacherTargets, user: number, k: number): Int32Array =>
  targets.items.subarray(user * targets.k, user * targets.k + k);

/**
 * Lists of [positive, negative, n candidates] (or, with `negativeFirst`, [negative, positive, …]):
 * the first `fromTeacher` candidates drawn from the user's row of `targets`, the rest by `sample`.
 * @category Plans
 */
export const listsWithCandidates = (
  n: number,
  sample: CandidateSampler,
  negativeFirst: boolean,
  teacherDraws?: { readonly count: number; readonly targets: TeacherTargets },
) =>
  rowLists(n + 2, (user, out, offset, rng) => {
    if (negativeFirst) {
      const positive = out[offset - 2]!;
      out[offset - 2] = out[offset - 1]!;
      out[offset - 1] = positive;
    }
    const fromTeacher = teacherDraws?.count ?? 0;
    if (teacherDraws !== undefined) {
      const { targets } = teacherDraws;
      for (let j = 0; j < fromTeacher; j++) out[offset + j] = targets.items[user * targets.k + rng.int(targets.k)]!;
    }
    sample(user, out, offset + fromTeacher, offset + n, rng);
  });

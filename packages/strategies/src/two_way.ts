/**
 * Two-way training's plan: rows [positive, negative, n sampled items] ([negative, positive, …]
 * for soft-label targets, so that the positive and the samples are one slice); each model
 * minimises its BPR and, on the sampled items, fits the other model's predictions — soft binary
 * cross-entropy, or the listwise soft-label cross-entropy over the positive and the samples.
 * Both sides score the lists before either updates.
 * @module
 */
import { kdrecError, type Random } from "@kdrec/core";
import {
  hasClosedForm,
  type LossTerm,
  lossTerm,
  mixtureGradient,
  mixtureLoss,
  softBinaryCrossEntropy,
  softBinaryCrossEntropyGradient,
  withClosedForm,
} from "@kdrec/losses";
import * as tf from "@tensorflow/tfjs-core";
import * as E from "fp-ts/lib/Either.js";
import { listsWithCandidates, sampledItems, uniformItems } from "./candidates.js";
import { type BatchPlan, bprTerm, negativeFirstBprTerm, teacherScores } from "./plan.js";
import { rankDiscrepancySampler } from "./rank_discrepancy.js";
import type { ScoredLists } from "./scored_lists.js";
import { softLabelTerm } from "./soft_label_loss.js";
import type { ResolvedTwoWay } from "./strategy.js";
import { termMeter } from "./term_meter.js";

/**
 * The plan of a two-way strategy over a catalogue of `numItems`.
 * @category Plans
 */
export const twoWayPlan = (
  strategy: ResolvedTwoWay,
  numItems: number,
): BatchPlan & { readonly peerTerms: ReadonlyArray<LossTerm<ScoredLists>> } => {
  const n = strategy.candidates;
  const { temperature } = strategy;
  const listwise = strategy.targets === "soft-label";
  const mixture = (alpha: number) =>
    listwise
      ? [negativeFirstBprTerm(1 - alpha), softLabelTerm(n, temperature, alpha)]
      : [
          bprTerm(1 - alpha),
          withClosedForm(
            lossTerm(
              `soft-bce(T=${temperature})`,
              (s: ScoredLists) => {
                const sampled = (scores: tf.Tensor2D) => tf.slice(scores, [0, 2], [-1, n]);
                return softBinaryCrossEntropy(sampled(s.student), sampled(teacherScores(s)), temperature);
              },
              alpha,
            ),
            () => softBinaryCrossEntropyGradient(2, n, temperature),
          ),
        ];
  const terms = mixture(strategy.alpha);
  const peerTerms = mixture(strategy.teacherAlpha);
  // Rank-discrepancy sampling: re-derived from both models' rankings before every epoch.
  let sampleItem: ((user: number, rng: Random) => number) | undefined;
  const sampler =
    strategy.sampling === "uniform" ? uniformItems(numItems) : sampledItems((user, rng) => sampleItem!(user, rng));
  return {
    width: n + 2,
    terms,
    peerTerms,
    lists: listsWithCandidates(n, sampler, listwise),
    bind: ({ model, peer, train }) => {
      const scoreStudent = model.scoreLists?.bind(model);
      const scorePeer = peer?.scoreLists?.bind(peer);
      if (peer === undefined || scoreStudent === undefined || scorePeer === undefined)
        return E.left(
          kdrecError(
            "INVALID_ARGUMENT",
            "a two-way strategy needs the teacher as a trainable peer, and both models able to score lists (e.g. MF)",
            "fit",
          ),
        );
      const meter = termMeter();
      // Both models take score gradients and every term has a closed form: steps without autodiff.
      const modelStep = model.trainStepWithGradient?.bind(model);
      const peerStep = peer.trainStepWithGradient?.bind(peer);
      const closedForm =
        modelStep !== undefined && peerStep !== undefined && hasClosedForm(terms) && hasClosedForm(peerTerms)
          ? { model: modelStep, peer: peerStep }
          : undefined;
      return E.right({
        termLosses: () => meter.read(),
        ...(strategy.sampling === "uniform"
          ? {}
          : {
              beforeEpoch: async () => {
                sampleItem = await rankDiscrepancySampler(model, peer, train);
              },
            }),
        step: (lists, progress) => {
          // Both sides learn from the other's predictions before this batch's updates.
          const studentScores = scoreStudent(lists);
          const peerScores = scorePeer(lists);
          if (closedForm !== undefined) {
            // Both sides' steps in closed form: the other side's scores read once, no autodiff.
            const [studentArray, peerArray] = [studentScores.dataSync(), peerScores.dataSync()] as Float32Array[];
            tf.dispose([studentScores, peerScores]);
            const arrays = (own: Float32Array, other: Float32Array) => ({
              rows: lists.users.length,
              width: lists.width,
              student: own,
              teacher: other,
            });
            const loss = closedForm.model(lists, (own, gradient) => {
              const mixture = mixtureGradient(terms, arrays(own, peerArray!), progress, gradient);
              meter.captureValues(mixture.parts);
              return mixture.total;
            });
            closedForm.peer(
              lists,
              (own, gradient) => mixtureGradient(peerTerms, arrays(own, studentArray!), progress, gradient).total,
            );
            return loss;
          }
          const loss = model.trainStep(lists, (student) => {
            const mixture = mixtureLoss(terms, { student, teacher: peerScores }, progress);
            meter.capture(mixture.parts);
            return mixture.total;
          });
          meter.add();
          peer.trainStep(
            lists,
            (own) => mixtureLoss(peerTerms, { student: own, teacher: studentScores }, progress).total,
          );
          tf.dispose([studentScores, peerScores]);
          return loss;
        },
      });
    },
  };
};

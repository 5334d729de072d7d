/**
 * Scoring contracts: a scorer of users against the whole catalogue (a snapshot: later training
 * does not change it), and a model that can hand one out.
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";

/**
 * Scores `[B, numItems]` of users against every item; free it with `dispose` when done.
 * @category Contracts
 */
export interface Scorer {
  readonly score: (users: Int32Array) => tf.Tensor2D;
  readonly dispose: () => void;
}

/**
 * A model that can be evaluated, frozen as a teacher or served: its size and a snapshot scorer.
 * @category Contracts
 */
export interface ScoringModel {
  readonly parameterCount: number;
  allItemScorer(): Scorer;
}

/**
 * What every model made of TF.js variables and trained by dense Adam shares: its parameter record
 * and optimizer, a step counter (seeded dropout or sampling follows it), and the trainer's
 * snapshot, checkpoint and disposal methods. The tower, NeuMF, the transformers and the
 * multi-task model extend it.
 * @module
 */
import { type VariableSet, variableSet } from "@kdrec/layers";
import { type DenseAdam, type DenseAdamState, denseAdam } from "./dense_adam.js";
import { inParts, partNamesOf } from "./trainable_model.js";

/**
 * Weights, the optimizer's state and the step counter: what resuming training needs.
 * @category Models
 */
export interface VariableModelState {
  readonly weights: ReadonlyArray<Float32Array>;
  readonly optimizer: DenseAdamState;
  readonly step: number;
}

/**
 * A model over a parameter record of TF.js variables, trained by {@link denseAdam}.
 * @category Models
 */
export abstract class VariableModel<P extends object> {
  protected readonly variables: VariableSet<P>;
  protected readonly optimizer: DenseAdam;
  /** Training steps taken (seeds of per-step randomness). */
  protected step = 0;

  protected constructor(
    protected readonly params: P,
    learningRate: number,
  ) {
    this.variables = variableSet(params);
    this.optimizer = denseAdam(this.variables.variables, { learningRate });
  }

  /** The parameter record's top-level and second-level names: what may train on its own. */
  get trainableParts(): ReadonlyArray<string> {
    return partNamesOf(this.variables.names);
  }

  /** Updates only the variables under `parts` from the next step on (all when `undefined`). */
  trainOnly(parts: ReadonlyArray<string> | undefined): void {
    this.optimizer.trainOnly(
      parts === undefined ? undefined : this.variables.names.map((name) => inParts(name, parts)),
    );
  }

  /** Every variable with its path, shape and a copy of its values (for saving). */
  namedWeights(): Array<{ name: string; shape: number[]; values: Float32Array }> {
    return this.variables.namedWeights();
  }

  /** Copies of every variable's values. */
  snapshot(): ReadonlyArray<Float32Array> {
    return this.variables.snapshot();
  }

  /** Puts weights from {@link VariableModel.snapshot} back (the optimizer's state is kept). */
  restore(weights: ReadonlyArray<Float32Array>): void {
    this.variables.restore(weights);
  }

  /** Weights, optimizer state and the step counter, copied. */
  trainingState(): VariableModelState {
    return { weights: this.snapshot(), optimizer: this.optimizer.state(), step: this.step };
  }

  /** Restores {@link VariableModel.trainingState}. */
  restoreTrainingState(state: VariableModelState): void {
    this.restore(state.weights);
    this.optimizer.load(state.optimizer);
    this.step = state.step;
  }

  /** Frees the variables and the optimizer's moments. */
  dispose(): void {
    this.optimizer.dispose();
    this.variables.dispose();
  }
}

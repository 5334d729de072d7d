/**
 * The variables of a model's parameter record as one value: copies out and back in (best-epoch
 * snapshots, checkpoints), named weights (saving), a frozen copy of the record (inference
 * snapshots), and disposal — what every TF.js-variable model needs and should not write again.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { namedVariablesOf } from "./init.js";

/**
 * A parameter record and its variables.
 * @category Initialisers
 */
export interface VariableSet<P> {
  readonly params: P;
  /** In {@link namedVariablesOf} order. */
  readonly variables: ReadonlyArray<tf.Variable>;
  /** The variables' paths in the record (`heads.rating.kernel`), in the same order. */
  readonly names: ReadonlyArray<string>;
  /** Number of values over all variables. */
  readonly size: number;
  /** Every variable with its path, shape and a copy of its values. */
  namedWeights(): Array<{ name: string; shape: number[]; values: Float32Array }>;
  /** Copies of every variable's values. */
  snapshot(): Float32Array[];
  /** Puts values from {@link VariableSet.snapshot} back. */
  restore(weights: ReadonlyArray<Float32Array>): void;
  /** The same record with every tensor cloned (unaffected by later training), and its disposer. */
  frozenCopy(): { readonly params: P; readonly dispose: () => void };
  dispose(): void;
}

/**
 * Wraps a parameter record (objects and arrays of TF.js variables).
 * @category Initialisers
 */
export const variableSet = <P extends object>(params: P): VariableSet<P> => {
  const named = namedVariablesOf(params);
  const variables = named.map(([, v]) => v);
  const copy = (x: tf.Tensor) => (x.dataSync() as Float32Array).slice();
  return {
    params,
    variables,
    names: named.map(([name]) => name),
    size: variables.reduce((n, x) => n + x.size, 0),
    namedWeights: () => named.map(([name, x]) => ({ name, shape: [...x.shape], values: copy(x) })),
    snapshot: () => variables.map(copy),
    restore: (weights) => {
      tf.tidy(() => {
        variables.forEach((x, k) => {
          x.assign(tf.tensor(weights[k]!.slice(), x.shape));
        });
      });
    },
    frozenCopy: () => {
      const clones: tf.Tensor[] = [];
      const walk = (node: unknown): unknown => {
        if (node instanceof tf.Tensor) {
          const clone = tf.clone(node);
          clones.push(clone);
          return clone;
        }
        if (Array.isArray(node)) return node.map(walk);
        if (node !== null && typeof node === "object")
          return Object.fromEntries(Object.keys(node).map((k) => [k, walk((node as Record<string, unknown>)[k])]));
        return node;
      };
      return { params: walk(params) as P, dispose: () => tf.dispose(clones) };
    },
    dispose: () => tf.dispose(variables),
  };
};

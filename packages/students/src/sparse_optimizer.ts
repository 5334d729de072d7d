/**
 * Sparse optimizers for embedding tables: only the rows a batch touches are updated.
 *
 * TF.js optimizers update whole variables every step (a 6,040×64 table costs the same whether a
 * batch touches 10 rows or all of them), which is the slow path recommender training must avoid.
 * Here a table is a Float32Array owned by its model; a step receives the gradient of the touched
 * rows only and updates those rows and their optimizer state in place. Adam is "lazy" (as TF's
 * LazyAdam and PyTorch's SparseAdam): moments of untouched rows are not decayed, and the bias
 * correction uses the global step.
 * @module
 */

import { numberInRange, positiveNumber } from "@kdrec/core";
import * as t from "io-ts";
import { adamRows } from "./kernels/adam_rows.js";
import type { RowArena } from "./row_arena.js";

/**
 * Which sparse optimizer and its hyper-parameters (an io-ts codec, for configs).
 * @category Optimizers
 */
export const SparseOptimizerConfig = t.union(
  [
    t.intersection([
      t.type({ kind: t.literal("adam"), learningRate: positiveNumber }),
      t.partial({ beta1: numberInRange(0, 0.9999), beta2: numberInRange(0, 0.999999), epsilon: positiveNumber }),
    ]),
    t.intersection([
      t.type({ kind: t.literal("adagrad"), learningRate: positiveNumber }),
      t.partial({ initialAccumulator: positiveNumber }),
    ]),
    t.type({ kind: t.literal("sgd"), learningRate: positiveNumber }),
  ],
  "SparseOptimizerConfig",
);
/**
 * The decoded form of {@link SparseOptimizerConfig}.
 * @category Optimizers
 */
export type SparseOptimizerConfig = t.TypeOf<typeof SparseOptimizerConfig>;

/**
 * Updates the touched rows of one table. `rows` are distinct row indices; `gradients` holds
 * their gradients row-major (`rows.length × width`); `decay` adds `decay × value` to each
 * gradient (an L2 penalty's gradient, applied in the same pass).
 * @category Optimizers
 */
export interface SparseOptimizer {
  readonly config: SparseOptimizerConfig;
  apply(values: Float32Array, width: number, rows: Int32Array, gradients: Float32Array, decay?: number): void;
  /** The optimizer's per-table state, for checkpoints (live arrays: copy before keeping). */
  readonly state: () => Readonly<Record<string, Float32Array | Float64Array | number>>;
  /** Puts state from {@link SparseOptimizer.state} back (resuming a run). */
  readonly load: (state: Readonly<Record<string, Float32Array | Float64Array | number>>) => void;
}

/**
 * Creates the optimizer for one table of `size` values. With an `arena` (the one that holds the
 * table), Adam keeps its moments there too and updates rows with a WebAssembly SIMD kernel.
 * @category Optimizers
 */
export const sparseOptimizer = (config: SparseOptimizerConfig, size: number, arena?: RowArena): SparseOptimizer => {
  switch (config.kind) {
    case "sgd":
      return {
        config,
        state: () => ({}),
        load: () => undefined,
        apply: (values, width, rows, gradients, decay = 0) => {
          const lr = config.learningRate;
          rows.forEach((row, k) => {
            for (let d = 0; d < width; d++) {
              const i = row * width + d;
              values[i]! -= lr * (gradients[k * width + d]! + decay * values[i]!);
            }
          });
        },
      };
    case "adagrad": {
      const accumulator = new Float32Array(size).fill(config.initialAccumulator ?? 0.1);
      return {
        config,
        state: () => ({ accumulator }),
        load: (state) => accumulator.set(state.accumulator as Float32Array),
        apply: (values, width, rows, gradients, decay = 0) => {
          const lr = config.learningRate;
          rows.forEach((row, k) => {
            for (let d = 0; d < width; d++) {
              const i = row * width + d;
              const g = gradients[k * width + d]! + decay * values[i]!;
              accumulator[i]! += g * g;
              values[i]! -= (lr * g) / Math.sqrt(accumulator[i]!);
            }
          });
        },
      };
    }
    case "adam": {
      const m = moments(size, arena);
      const v = moments(size, arena);
      const beta1 = config.beta1 ?? 0.9;
      const beta2 = config.beta2 ?? 0.999;
      const epsilon = config.epsilon ?? 1e-8;
      let step = 0;
      return {
        config,
        state: () => ({ m: m(), v: v(), step }),
        load: (state) => {
          m().set(state.m as Float32Array | Float64Array);
          v().set(state.v as Float32Array | Float64Array);
          step = state.step as number;
        },
        apply: (values, width, rows, gradients, decay = 0) => {
          step += 1;
          const learningRate = (config.learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
          adamRows(arena, {
            values,
            m: m(),
            v: v(),
            rows,
            gradients,
            width,
            learningRate,
            beta1,
            beta2,
            epsilon,
            decay,
          });
        },
      };
    }
  }
};

/** A zeroed Float32 table, in the arena when there is one (read through a fresh view each time). */
const moments = (size: number, arena: RowArena | undefined): (() => Float32Array) => {
  if (arena === undefined) {
    const table = new Float32Array(size);
    return () => table;
  }
  const at = arena.reserve(size);
  return () => arena.f32(at, size);
};

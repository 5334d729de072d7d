/**
 * Each loss term's mean over an epoch, for logs and TensorBoard, at the cost of two small tensor
 * ops per batch: a step hands its terms' values over as it computes them, and the sums are read
 * once at the end of the epoch (a read per batch would wait on the engine every batch).
 * @module
 */
import { termBaseName } from "@kdrec/losses";
import * as tf from "@tensorflow/tfjs-core";

/**
 * Sums a mixture's unweighted term values over the batches of an epoch.
 * @category Plans
 */
export interface TermMeter {
  /** Keeps this batch's term values (called inside the step's loss function). */
  capture(parts: Readonly<Record<string, tf.Scalar>>): void;
  /** Adds a batch's term values computed as numbers (closed-form steps; no {@link TermMeter.add} needed). */
  captureValues(parts: Readonly<Record<string, number>>): void;
  /** Adds the captured values to the epoch's sums (called after the step). */
  add(): void;
  /** Each term's mean over the epoch's batches so far (short names: `soft-label-ce`), then resets. */
  read(): Readonly<Record<string, number>>;
}

/**
 * A fresh {@link TermMeter}.
 * @example
 * ```ts
 * const meter = termMeter();
 * // Inside a step's loss function: `meter.capture(mixtureLoss(terms, inputs, progress).parts)`.
 * meter.capture({ bpr: tf.scalar(0.7), "soft-label-ce(T=0.5)": tf.scalar(1.2) });
 * meter.add(); // after the step
 * meter.read(); // { bpr: 0.7, "soft-label-ce": 1.2 } (means over the epoch's batches)
 * ```
 * @category Plans
 */
export const termMeter = (): TermMeter => {
  let names: string[] = [];
  let pending: tf.Tensor1D | undefined;
  let sums: tf.Tensor1D | undefined;
  let batches = 0;
  // Closed-form steps hand numbers over: summed here, by term.
  const valueSums = new Map<string, { sum: number; batches: number }>();
  return {
    capture: (parts) => {
      pending?.dispose();
      names = Object.keys(parts).map(termBaseName);
      pending = names.length === 0 ? undefined : tf.keep(tf.stack(Object.values(parts)) as tf.Tensor1D);
    },
    captureValues: (parts) => {
      for (const [name, value] of Object.entries(parts)) {
        const entry = valueSums.get(termBaseName(name)) ?? { sum: 0, batches: 0 };
        valueSums.set(termBaseName(name), { sum: entry.sum + value, batches: entry.batches + 1 });
      }
    },
    add: () => {
      if (pending === undefined) return;
      if (sums === undefined || sums.shape[0] !== pending.shape[0]) {
        sums?.dispose();
        sums = pending;
        batches = 1;
      } else {
        const previous: tf.Tensor1D = sums;
        const batch: tf.Tensor1D = pending;
        sums = tf.add(previous, batch) as tf.Tensor1D;
        previous.dispose();
        batch.dispose();
        batches += 1;
      }
      pending = undefined;
    },
    read: () => {
      const means: Record<string, number> = {};
      for (const [name, { sum, batches }] of valueSums) means[name] = sum / batches;
      valueSums.clear();
      if (sums === undefined) return means;
      const values = sums.dataSync();
      sums.dispose();
      sums = undefined;
      names.forEach((name, k) => {
        means[name] = values[k]! / batches;
      });
      batches = 0;
      return means;
    },
  };
};

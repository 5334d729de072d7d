/**
 * TensorBoard scalars of a run, from its events: one log folder per model and seed
 * (`DIR/<model>-seed<k>/`), every epoch's training loss and its terms, validation NDCG@10 and
 * HR@10, the weights and settings that follow a schedule (α, T) and the epoch's time; the test
 * metrics when the model is done. The writer is given (tfjs-node's `tf.node.summaryFileWriter`
 * in Node), so this module itself runs anywhere.
 * @module
 */
import type { ExperimentEvent } from "@kdrec/experiment";

/**
 * Where scalars go: tfjs-node's `SummaryFileWriter` has this shape.
 * @category TensorBoard
 */
export interface ScalarWriter {
  scalar(name: string, value: number, step: number): void;
  flush(): void;
}

/**
 * Makes the writer of one log folder.
 * @category TensorBoard
 */
export type ScalarWriterFactory = (logdir: string) => ScalarWriter;

/**
 * An experiment-event listener that writes TensorBoard scalars, and `close` to flush them all.
 * @category TensorBoard
 */
export interface TensorBoardLog {
  readonly onEvent: (event: ExperimentEvent) => void;
  /** Flushes every writer (call at the end of the run). */
  readonly close: () => void;
}

/**
 * A TensorBoard log under `dir` (`tensorboard --logdir DIR` shows every model and seed).
 * @example
 * ```ts
 * import * as tfNode from "@tensorflow/tfjs-node";
 * const log = tensorboardLog("runs/a/tensorboard", (dir) => tfNode.node.summaryFileWriter(dir));
 * const folder = await openRunFolder("runs/a");
 * if (E.isRight(folder)) await folder.right.run(DEFAULT_EXPERIMENT, { data, onEvent: log.onEvent });
 * log.close();
 * ```
 * @category TensorBoard
 */
export const tensorboardLog = (dir: string, createWriter: ScalarWriterFactory): TensorBoardLog => {
  const writers = new Map<string, ScalarWriter>();
  const writerOf = (model: string, seed: number): ScalarWriter => {
    const key = `${model}-seed${seed}`;
    let writer = writers.get(key);
    if (writer === undefined) {
      writer = createWriter(`${dir}/${key}`);
      writers.set(key, writer);
    }
    return writer;
  };
  const onEvent = (event: ExperimentEvent): void => {
    if (event.kind === "start") {
      // Every writer before the first model trains: a writer holds engine resources, which the
      // trainer's tensor-leak check would count against the model training when it appeared.
      for (const model of [event.teacher, ...event.students]) for (const seed of event.seeds) writerOf(model, seed);
    } else if (event.kind === "epoch") {
      const { record } = event;
      const writer = writerOf(event.model, event.seed);
      const step = record.epoch;
      if (Number.isFinite(record.loss)) writer.scalar("train/loss", record.loss, step);
      for (const [term, value] of Object.entries(record.terms ?? {})) writer.scalar(`train/${term}`, value, step);
      writer.scalar("valid/ndcg@10", record.validNdcg10, step);
      writer.scalar("valid/hr@10", record.validHr10, step);
      if (record.peerValidNdcg10 !== undefined) writer.scalar("valid/peer_ndcg@10", record.peerValidNdcg10, step);
      for (const [name, value] of Object.entries(record.settings ?? {})) writer.scalar(`schedule/${name}`, value, step);
      writer.scalar("time/epoch_seconds", record.seconds, step);
    } else if (event.kind === "model") {
      const { result } = event;
      const writer = writerOf(result.name, result.seed);
      for (const [metric, value] of Object.entries(result.test))
        writer.scalar(`test/${metric}`, value, result.best_epoch);
      writer.flush();
    }
  };
  return {
    onEvent,
    close: () => {
      for (const writer of writers.values()) writer.flush();
    },
  };
};

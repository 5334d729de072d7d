/**
 * `@kdrec/online`: students that keep learning from a stream, and the protocol that measures it.
 *
 * - {@link incrementalUpdate}: a matrix-factorization student absorbs new interactions without
 *   retraining — new users folded in by least squares ({@link foldInUsers}), new items trained
 *   from their first interactions (tables grow with `MatrixFactorization.grown`), a replay sample
 *   of older interactions against forgetting, and online distillation from a refreshed teacher;
 * - {@link streamSplit}, {@link evaluateWindow}, {@link StreamState}: the streaming protocol (train
 *   on the first share in time, then predict each window before updating on it);
 * - {@link runStream}: frozen, retrained-per-window, incremental and incremental-with-distillation
 *   students on one stream, with each one's quality and training cost;
 * - {@link updateBundle}: a shipped MF model bundle absorbs new events (new ids grow its id maps),
 *   optionally distilling from a teacher bundle: what `kdrec update` runs.
 * @packageDocumentation
 */
export { type BundleEvent, type BundleUpdateReport, bundleEvents, updateBundle } from "./bundle_update.js";
export {
  foldInUsers,
  incrementalUpdate,
  type OnlineTeacher,
  trainOnPairs,
  type UpdateOptions,
} from "./incremental.js";
export {
  concatInteractions,
  runStream,
  type StreamExperiment,
  type StreamMethod,
  type StreamMethodResult,
  type StreamModel,
  userScores,
} from "./protocol.js";
export {
  evaluateWindow,
  type StreamProtocol,
  type StreamSplit,
  StreamState,
  streamSplit,
  type WindowQuality,
} from "./stream.js";

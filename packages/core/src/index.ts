/**
 * `@kdrec/core`: the small vocabulary every kdrec package shares.
 *
 * - the engine entry point ({@link initEngine}): native TensorFlow when it loads, else `cpu`;
 * - kdrec's own engine kernels, named once ({@link KdrecHeldOutRanks}, {@link KdrecTopKExcluding},
 *   {@link KdrecScoreTopKExcluding}),
 *   and whether the active backend has them ({@link hasEngineKernel}); native stand-ins for
 *   `@kdrec/students`' WebAssembly training kernels ({@link KdrecListBatches}, {@link KdrecBprBatches}, {@link arenaKernel});
 * - seeded, splittable random numbers ({@link seededRandom});
 * - the error type ({@link KdrecError}) returned in fp-ts `Either` by fallible operations;
 * - io-ts helpers for config codecs that report every invalid field with its path;
 * - tensor helpers that enforce disposal ({@link readTidy}, {@link checkTensorLeak}).
 * @packageDocumentation
 */
export {
  type ConfigProblem,
  configProblems,
  decodeConfig,
  definedFields,
  fileSafeName,
  formatConfigProblems,
  integerInRange,
  nearestKey,
  numberInRange,
  positiveAtMost,
  positiveNumber,
  strictType,
  type TaggedMember,
  taggedUnion,
  unitInterval,
} from "./codec.js";
export { BackendName, type EngineInfo, type EngineOptions, initEngine } from "./engine.js";
export { formatKdrecError, type KdrecError, type KdrecErrorCode, kdrecError, toThrowable } from "./error.js";
export { canonicalJson, fingerprint } from "./fingerprint.js";
export { type JsonSchema, jsonSchemaOf, objectSchema, withJsonSchema } from "./json_schema.js";
export {
  ARENA_KERNELS,
  type ArenaKernel,
  type ArenaKernelSource,
  arenaKernel,
  arenaKernelSource,
  type HeldOutRanksInputs,
  hasEngineKernel,
  heldOutRanks,
  KdrecBprBatches,
  KdrecHeldOutRanks,
  KdrecListBatches,
  KdrecScoreTopKExcluding,
  KdrecTopKExcluding,
  registerArenaKernel,
  type ScoreTopKExcludingInputs,
  scoreTopKExcluding,
  type TopKExcludingInputs,
  topKExcluding,
  unregisterArenaKernel,
} from "./kernels.js";
export { type Random, seededRandom } from "./random.js";
export { checkTensorLeak, column, readTidy, readTidyAsync, type TensorCount } from "./tensors.js";

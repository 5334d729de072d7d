/**
 * `@kdrec/experiment`: an experiment as a typed value, run from TypeScript.
 *
 * - {@link ExperimentSpec} and its codec {@link experimentSpec}: the dataset, protocol, seeds,
 *   teacher and students, each model one of the registry's architectures;
 * - {@link runExperiment}: every model, every seed, per-user metrics and paired tests, as an
 *   fp-ts `TaskEither`; progress through {@link ExperimentEvent}s, files through an
 *   {@link ExperimentStore};
 * - the model registry ({@link defaultRegistry}, {@link withArchitecture});
 * - {@link resultTable}: the results as `kdrec run` prints them.
 * @packageDocumentation
 */
export { checkAgainstData, checkExperiment } from "./checks.js";
export { checkpointFile, fileStore, saveNamedWeights } from "./file_store.js";
export { type ArchitectureRegistry, defaultRegistry, withArchitecture } from "./registry.js";
export { resolveExperiment } from "./resolved.js";
export {
  type Comparison,
  compareStudents,
  type ExperimentResult,
  type ModelResult,
  type ModelSummary,
  type NamedTest,
  resultTable,
  summariseModels,
  TEST_METRICS,
} from "./results.js";
export {
  describeEvent,
  type ExperimentEvent,
  type ExperimentOptions,
  type ExperimentStore,
  prepareExperiment,
  runExperiment,
} from "./run.js";
export {
  DEFAULT_EXPERIMENT,
  type ExperimentSpec,
  type ExternalTeacherSpec,
  experimentJsonSchema,
  experimentSpec,
  isExternal,
  type ModelSpec,
  type StudentFields,
  type StudentSpec,
  teachersOf,
} from "./spec.js";

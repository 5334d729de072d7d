/**
 * `@kdrec/experiment`: an experiment as a typed value, run from TypeScript.
 *
 * - {@link ExperimentSpec} and its codec {@link experimentSpec}: the dataset, protocol, seeds,
 *   teacher and students, each model one of the registry's architectures;
 * - {@link runExperiment}: every model, every seed, per-user metrics and paired tests, as an
 *   fp-ts `TaskEither`; progress through {@link ExperimentEvent}s, files through an
 *   {@link ExperimentStore};
 * - the model registry ({@link defaultRegistry}, {@link withArchitecture});
 * - {@link resultTable}: the results as `kdrec run` prints them;
 * - files (Node): {@link openRunFolder} runs an experiment into a folder (what `kdrec run`
 *   does), {@link fileStore} writes checkpoints and a model bundle per trained model
 *   ({@link writeBundle}); {@link tensorScorers} serves the TF.js architectures through
 *   `@kdrec/serving`'s `loadRecommender`.
 * @packageDocumentation
 */

export { KDREC_VERSION, kdrecBuildInfo } from "./build_info.js";
export { checkAgainstData, checkExperiment } from "./checks.js";
export { checkpointFile, fileStore, writeBundle, writeFileAtomic } from "./file_store.js";
export { type ArchitectureRegistry, defaultRegistry, withArchitecture } from "./registry.js";
export { resolveExperiment, resolveModelSpec } from "./resolved.js";
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
  type SavedModelMeta,
} from "./run.js";
export { MAX_POOL_THREADS, type MetricsLine, openRunFolder, type RunFolder, type RunOptions } from "./run_folder.js";
export { type ServedData, servedData } from "./served_data.js";
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
export { loadAnyRecommender, tensorScorers } from "./tensor_scorers.js";

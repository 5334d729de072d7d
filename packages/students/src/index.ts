/**
 * `@kdrec/students`: the small models kdrec distils into.
 *
 * - {@link MatrixFactorization}: dot-product MF (optional item biases) trained by any loss over
 *   per-user item lists, with sparse updates of the touched rows;
 * - sparse optimizers ({@link sparseOptimizer}: lazy Adam, Adagrad, SGD) over Float32Array tables,
 *   with Adam as a WebAssembly SIMD kernel for tables held in a {@link RowArena};
 * - {@link FeatureMatrixFactorization}: MF with user and item side information (items never
 *   seen in training scored from their categories);
 * - {@link HierarchicalAttentionTower}: item embeddings and a two-level attention user tower over
 *   the user's sessions — no per-user parameters;
 * @packageDocumentation
 */

export {
  type AlsOptions,
  alsModel,
  distilledPreferences,
  fitAls,
  implicitPreferences,
  type PreferenceEntries,
} from "./als.js";
export { alsArchitecture, featureMfArchitecture, mfArchitecture, towerArchitecture } from "./architectures.js";
export {
  FeatureMatrixFactorization,
  FeatureMatrixFactorizationConfig,
  type FeatureMatrixFactorizationState,
  type FeatureTables,
} from "./feature_mf.js";
export {
  HierarchicalAttentionTower,
  HierarchicalTowerConfig,
  type HierarchicalTowerState,
  type ProjectedFeature,
  type TowerFeatures,
} from "./hierarchical_tower.js";
export { isKernelPool, type KernelPool, MAX_POOL_THREADS } from "./kernel_pool.js";
export {
  MatrixFactorization,
  MatrixFactorizationConfig,
  type MatrixFactorizationState,
  type MatrixFactorizationWeights,
} from "./matrix_factorization.js";
export { RowArena, type RowKernelExports } from "./row_arena.js";
export { type SparseOptimizer, SparseOptimizerConfig, sparseOptimizer } from "./sparse_optimizer.js";

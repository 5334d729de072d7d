/**
 * `@kdrec/teachers`: frozen models that teach.
 *
 * - the {@link @kdrec/model-kit!Teacher} contract is `@kdrec/model-kit`'s; here are the teachers themselves:
 * - {@link frozenMatrixFactorization}: a trained (wide) MF as a teacher;
 * - {@link externalTeacher}: any scoring function — a model trained elsewhere;
 * - {@link teacherTopK}: the teacher's top-K unobserved items per user, computed once and cached.
 * @packageDocumentation
 */

export { bert4recArchitecture, neumfArchitecture, sasrecArchitecture } from "./architectures.js";
export { ensembleTeacher } from "./ensemble.js";
export { externalTeacher } from "./external.js";
export { frozenMatrixFactorization } from "./frozen_mf.js";
export { NeuMF, NeuMFConfig, type NeuMFState, type NeuMFWeights } from "./neumf.js";
export { type SequenceWindows, sequenceWindows } from "./sequence_windows.js";
export {
  type SequenceFeatures,
  SequentialTransformer,
  SequentialTransformerConfig,
  type SequentialTransformerState,
} from "./sequential_transformer.js";
export { teacherTopK } from "./targets.js";
export { parseTopKLists, topKListTeacher } from "./top_k_lists.js";

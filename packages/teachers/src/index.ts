/**
 * `@kdrec/teachers`: frozen models that teach.
 *
 * - {@link Teacher}: what a distillation needs of a teacher (scores of item lists and of all items);
 * - {@link frozenMatrixFactorization}: a trained (wide) MF as a teacher;
 * - {@link externalTeacher}: any scoring function — a model trained elsewhere;
 * - {@link teacherTopK}: the teacher's top-K unobserved items per user, computed once and cached.
 * @packageDocumentation
 */

export { ensembleTeacher } from "./ensemble.js";
export { externalTeacher } from "./external.js";
export { frozenMatrixFactorization } from "./frozen_mf.js";
export { type FeatureSource, frozenModel, type ScoringModel } from "./frozen_model.js";
export { NeuMF, NeuMFConfig, type NeuMFState, type NeuMFWeights } from "./neumf.js";
export { type SequenceWindows, sequenceWindows } from "./sequence_windows.js";
export {
  type SequenceFeatures,
  SequentialTransformer,
  SequentialTransformerConfig,
  type SequentialTransformerState,
} from "./sequential_transformer.js";
export { type TeacherTargets, teacherTopK } from "./targets.js";
export { type FeatureTeacher, hasFeatures, type Teacher } from "./teacher.js";
export { parseTopKLists, topKListTeacher } from "./top_k_lists.js";

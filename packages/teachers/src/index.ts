/**
 * `@kdrec/teachers`: frozen models that teach.
 *
 * The `Teacher` contract is `@kdrec/model-kit`'s; here are the teachers themselves:
 * - {@link NeuMF}: generalised MF and an MLP tower (He et al., WWW 2017);
 * - {@link SequentialTransformer}: SASRec (causal) and BERT4Rec (bidirectional, cloze), frozen
 *   per row (each training row scored from the history before it) or by full history;
 * - {@link frozenMatrixFactorization}: a trained (wide) MF as a teacher;
 * - {@link ensembleTeacher}: several teachers as one weighted sum;
 * - {@link topKListTeacher}, {@link parseTopKLists}: a teacher trained elsewhere, from its top-K lists
 *   (text), or {@link readTopKParquet} (Parquet, as a cluster writes it; files and folders from
 *   `@kdrec/teachers/node`);
 * - {@link externalTeacher}: any scoring function — a model trained elsewhere;
 * - {@link teacherTopK}: the teacher's top-K unobserved items per user, computed once and cached;
 * - the registry entries {@link neumfArchitecture}, {@link sasrecArchitecture}, {@link bert4recArchitecture}.
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
export { type ParquetPart, readTopKParquet, type TopKParquetColumns } from "./top_k_parquet.js";

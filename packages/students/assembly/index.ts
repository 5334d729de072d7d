// The row kernels of sparse embedding training, compiled to one WebAssembly module with SIMD.
export { adamRows } from "./adam_rows";
export { bprBatches } from "./bpr_batches";
export { listBatches } from "./list_batches";
export { listScores } from "./list_scores";
export { rowGradients } from "./row_gradients";
export { scoreTopK } from "./score_top_k";
export { selectTopK } from "./select_top_k";

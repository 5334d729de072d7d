/**
 * `@kdrec/layers`: neural building blocks as pure functions of tensors and parameter records —
 * one op per file, each tested against a hand-computed case on every backend.
 *
 * - {@link dense}, {@link layerNorm}, {@link gelu}, {@link feedForward};
 * - {@link multiHeadSelfAttention} (padding and causal masks) and {@link transformerBlock}
 *   (post-norm, as BERT);
 * - {@link attentionPooling} (a learned query over a masked set);
 * - {@link listDotScores}, {@link catalogueDotScores}: the shared item table as output layer;
 * - {@link expertOutputs} and {@link expertGate}: distillation experts (DE) and their gate;
 * - initialisers creating seeded TF.js variables, {@link variablesOf} to list them, and
 *   {@link variableSet}: snapshots, restores, named weights and frozen copies of a record.
 * @packageDocumentation
 */
export { type AttentionPoolingParams, attentionPooling } from "./attention_pooling.js";
export { type DenseParams, dense } from "./dense.js";
export { catalogueDotScores, listDotScores } from "./dot_scores.js";
export {
  type ExpertsParams,
  expertGate,
  expertOutputs,
  initExperts,
  type StackedDenseParams,
} from "./experts.js";
export { type FeedForwardParams, feedForward } from "./feed_forward.js";
export { gelu } from "./gelu.js";
export {
  initAttentionPooling,
  initDense,
  initLayerNorm,
  initTransformerBlock,
  namedVariablesOf,
  normalVariable,
  variablesOf,
} from "./init.js";
export { type LayerNormParams, layerNorm } from "./layer_norm.js";
export { type AttentionOptions, type AttentionParams, multiHeadSelfAttention } from "./multi_head_attention.js";
export { type TransformerBlockOptions, type TransformerBlockParams, transformerBlock } from "./transformer_block.js";
export { type VariableSet, variableSet } from "./variable_set.js";

/**
 * A transformer encoder block, post-norm as in BERT and BERT4Rec: attention and feed-forward
 * sub-layers, each with dropout, a residual connection and layer normalisation.
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type FeedForwardParams, feedForward } from "./feed_forward.js";
import { type LayerNormParams, layerNorm } from "./layer_norm.js";
import { type AttentionOptions, type AttentionParams, multiHeadSelfAttention } from "./multi_head_attention.js";

/**
 * A block's parameters.
 * @category Layers
 */
export interface TransformerBlockParams {
  readonly attention: AttentionParams;
  readonly attentionNorm: LayerNormParams;
  readonly feedForward: FeedForwardParams;
  readonly feedForwardNorm: LayerNormParams;
}

/**
 * Options of {@link transformerBlock}: the attention's, plus dropout while training.
 * @category Layers
 */
export interface TransformerBlockOptions extends AttentionOptions {
  /** Dropout rate on each sub-layer's output; default 0 (and always 0 when not training). */
  readonly dropout?: number;
  /** A seed for the dropout masks (reproducible training). */
  readonly seed?: number;
}

/**
 * `h = norm(x + dropout(attention(x)))`, then `norm(h + dropout(feedForward(h)))`; padded
 * positions (`valid` = 0) are zeroed on the way out.
 * @category Layers
 */
export const transformerBlock = (
  x: tf.Tensor3D,
  valid: tf.Tensor2D,
  params: TransformerBlockParams,
  options: TransformerBlockOptions,
): tf.Tensor3D =>
  tf.tidy(() => {
    const rate = options.dropout ?? 0;
    const drop = (t: tf.Tensor, salt: number) =>
      rate > 0 ? tf.dropout(t, rate, undefined, (options.seed ?? 0) * 2 + salt) : t;
    const attended = multiHeadSelfAttention(x, valid, params.attention, options);
    const h = layerNorm(tf.add(x, drop(attended, 0)), params.attentionNorm);
    const out = layerNorm(tf.add(h, drop(feedForward(h, params.feedForward), 1)), params.feedForwardNorm);
    return tf.mul(out, tf.expandDims(valid, 2)) as tf.Tensor3D;
  });

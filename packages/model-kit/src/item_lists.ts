/**
 * The batch every kdrec model trains and scores on: per-row item lists. Row `b` is user
 * `users[b]` against `items[b·width … (b+1)·width)`; `rows` (when present) are the training
 * interactions the rows stand for, so models and teachers that read histories can find them.
 * @module
 */

/**
 * Per-row item lists (`users.length` rows of `width` items each).
 * @category Contracts
 */
export interface ItemLists {
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly width: number;
  /** The training interactions the rows stand for (sequence models read each row's history by them). */
  readonly rows?: Int32Array;
}

/**
 * Item lists whose rows are known training interactions (what a strategy's plan produces).
 * @category Contracts
 */
export type RowItemLists = ItemLists & { readonly rows: Int32Array };

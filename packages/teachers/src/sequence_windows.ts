/**
 * Training windows for sequential transformers: the fewest history windows that serve a batch's
 * rows, and for each row where its representation is read.
 *
 * A row stands for the interaction at position `e` of its user's history. Causal (SASRec): the
 * row's representation is the output at item `e − 1` of a window holding it (causal attention
 * sees only earlier items, so one window serves every row whose `e − 1` it holds). Bidirectional
 * (BERT4Rec, cloze): item `e` itself is in the window, replaced by [mask], and read there; each
 * window is repeated so that at most `maskShare` of its items are masked in any copy.
 * @module
 */
import { itemsOf, type UserItems } from "@kdrec/data";

/**
 * Token rows `[windows × length]` (right-aligned, padding = `padding`), their validity, and for
 * each batch row the flat index (window · length + slot) to read, or −1 for "no history" (a zero
 * representation).
 * @category Teachers
 */
export interface SequenceWindows {
  readonly tokens: Int32Array;
  readonly valid: Float32Array;
  readonly readAt: Int32Array;
  readonly windows: number;
}

/**
 * Builds the windows of a batch. `ends[b]` is row b's position in user `users[b]`'s history.
 * @category Teachers
 */
export const sequenceWindows = (
  users: Int32Array,
  ends: Int32Array,
  histories: UserItems,
  options: {
    readonly length: number;
    readonly bidirectional: boolean;
    readonly mask: number;
    readonly maskShare?: number;
  },
): SequenceWindows => {
  const { length, bidirectional } = options;
  const padding = histories.numItems;
  const tokens: number[] = [];
  const valid: number[] = [];
  const readAt = new Int32Array(users.length).fill(-1);
  let windows = 0;
  // Rows of each user, latest first.
  const byUser = new Map<number, number[]>();
  users.forEach((u, b) => {
    const rows = byUser.get(u);
    if (rows === undefined) byUser.set(u, [b]);
    else rows.push(b);
  });
  const addWindow = (history: Int32Array, from: number, to: number, masked: ReadonlyArray<number>) => {
    // items history[from .. to), right-aligned; `masked` are history positions replaced by [mask]
    const offset = windows * length + length - (to - from);
    for (let k = 0; k < length - (to - from); k++) {
      tokens.push(padding);
      valid.push(0);
    }
    for (let k = from; k < to; k++) {
      tokens.push(masked.includes(k) ? options.mask : history[k]!);
      valid.push(1);
    }
    windows += 1;
    return (position: number) => offset + position - from;
  };
  for (const [user, rows] of byUser) {
    const history = itemsOf(histories, user);
    rows.sort((a, b) => ends[b]! - ends[a]!);
    let next = 0;
    while (next < rows.length) {
      const last = ends[rows[next]!]!;
      if (!bidirectional) {
        if (last === 0) break; // rows with no history keep readAt −1
        const from = Math.max(0, last - length);
        const slot = addWindow(history, from, last, []);
        while (next < rows.length && ends[rows[next]!]! - 1 >= from && ends[rows[next]!]! > 0) {
          readAt[rows[next]!] = slot(ends[rows[next]!]! - 1);
          next++;
        }
      } else {
        const from = Math.max(0, last + 1 - length);
        const covered: number[] = [];
        while (next < rows.length && ends[rows[next]!]! >= from) covered.push(rows[next++]!);
        const perCopy = Math.max(1, Math.floor((options.maskShare ?? 0.2) * (last + 1 - from)));
        // Round-robin over the (position-sorted) rows spreads each copy's masks along the window.
        const copies = Math.ceil(covered.length / perCopy);
        for (let c = 0; c < copies; c++) {
          const mine = covered.filter((_, k) => k % copies === c);
          const slot = addWindow(
            history,
            from,
            last + 1,
            mine.map((b) => ends[b]!),
          );
          for (const b of mine) readAt[b] = slot(ends[b]!);
        }
      }
    }
  }
  return { tokens: Int32Array.from(tokens), valid: Float32Array.from(valid), readAt, windows };
};

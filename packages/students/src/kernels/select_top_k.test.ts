import { describe, expect, it } from "vitest";
import { selectTopK } from "./select_top_k.js";

describe("selectTopK", () => {
  it("keeps each row's k best, ties to the lower index, NaN never, excluded items never", () => {
    // Two rows of 7 items: row 0 is user 1's, row 1 user 0's.
    const scores = Float32Array.of(0.5, Number.NaN, 2, 0.5, 2, 0.5, Number.NEGATIVE_INFINITY, 1, 2, 3, 4, 5, 6, 7);
    const exclude = { offsets: Int32Array.of(0, 2, 3), items: Int32Array.of(5, 6, 4) }; // user 0: 5, 6; user 1: 4
    const outItems = new Int32Array(2 * 6 + 3).fill(99);
    const outScores = new Float32Array(2 * 6 + 3);
    selectTopK(scores, Int32Array.of(1, 0), 7, exclude, 6, outItems, outScores, 0);
    expect(Array.from(outItems.subarray(0, 6))).toEqual([2, 0, 3, 5, 6, -1]); // 4 excluded, 1 is NaN
    expect(Array.from(outItems.subarray(6, 12))).toEqual([4, 3, 2, 1, 0, -1]); // 5 and 6 excluded
    expect(Array.from(outScores.subarray(6, 11))).toEqual([5, 4, 3, 2, 1]);
    expect(outItems[12]).toBe(99); // nothing written past the rows
  });
});

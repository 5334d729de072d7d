import { readTidy } from "@kdrec/core";
import { describeEachBackend } from "@kdrec/testing";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { parseTopKLists, topKListTeacher } from "./top_k_lists.js";

const users = ["u1", "u2"];
const items = ["a", "b", "c", "d", "e"];

const problem = (text: string) => {
  const parsed = parseTopKLists(text, users, items, "top.tsv");
  if (E.isRight(parsed)) throw new Error("expected a failure");
  return `${parsed.left.location}: ${parsed.left.message}`;
};

describe("parseTopKLists", () => {
  it("reads tab- or comma-separated lines (header, BOM, CRLF, blank lines) and sorts each list by score", () => {
    const parsed = parseTopKLists(
      "\uFEFFuser,item,score\r\nu1\tb\t0.5\r\nu1\td\t2\r\n\r\nu2,a,1\nu2,e,3\n",
      users,
      items,
      "x",
    );
    expect(E.isRight(parsed)).toBe(true);
    const lists = (parsed as E.Right<{ k: number; items: Int32Array; scores: Float32Array }>).right;
    expect(lists.k).toBe(2);
    expect(Array.from(lists.items)).toEqual([3, 1, 4, 0]);
    expect(Array.from(lists.scores)).toEqual([2, 0.5, 3, 1]);
  });

  it("refuses bad input, naming the file and line", () => {
    expect(problem("u1\tb\n")).toBe("top.tsv:1: expected 3 fields (user, item, score), got 2");
    expect(problem("u1\tb\t1\nu9\ta\t1\n")).toBe('top.tsv:2: user "u9" is not in the dataset');
    expect(problem("u1\tz\t1\n")).toBe('top.tsv:1: item "z" is not in the dataset');
    expect(problem("u1\tb\tNaN\n")).toBe('top.tsv:1: score "NaN" is not a finite number');
    expect(problem("u1\tb\t1e400\n")).toBe('top.tsv:1: score "1e400" is not a finite number');
    expect(problem("u1\tb\t1\nu1\tb\t2\n")).toBe('top.tsv:2: user "u1" lists item "b" twice');
    expect(problem("u1\tb\t1\n")).toBe('top.tsv: 1 user(s) have no list (the first: "u2")');
    expect(problem("u1\tb\t1\nu1\tc\t0\nu2\ta\t1\n")).toBe(
      'top.tsv: every user needs the same number of items: user "u2" has 1, user "u1" has 2',
    );
  });
});

describeEachBackend("topKListTeacher", () => {
  it("scores listed items as listed and every other item below the user's last", () => {
    const lists = { k: 3, items: Int32Array.from([3, 1, 0, 4, 2, 1]), scores: Float32Array.from([5, 4, 2, 1, 0.5, 0]) };
    const teacher = topKListTeacher("file", lists, 5);
    const all = readTidy(() => teacher.scoreAll(Int32Array.from([0, 1])));
    // user 0: gap (5 − 2)/2 = 1.5, unlisted items score 0.5; user 1: gap 0.5, unlisted −0.5
    expect(Array.from(all)).toEqual([2, 4, 0.5, 5, 0.5, -0.5, 0, 0.5, -0.5, 1]);
    const listScores = readTidy(() => teacher.scoreLists(Int32Array.from([1, 0]), Int32Array.from([4, 3, 3, 2]), 2));
    expect(Array.from(listScores)).toEqual([1, -0.5, 5, 0.5]);
    expect(teacher.parameterCount).toBe(0);
  });
});

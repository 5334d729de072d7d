import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { describe, expect, it } from "vitest";
import { decodeConfig, integerInRange, positiveNumber, unitInterval } from "./codec.js";

const Student = t.type({
  name: t.string,
  dim: integerInRange(1, 1024),
  strategy: t.type({ alpha: unitInterval, temperature: positiveNumber }),
});
const Experiment = t.type({
  seed: t.number,
  students: t.array(Student),
  mode: t.union([t.literal("train"), t.literal("load")]),
});

const problemsOf = (input: unknown): string[] => {
  const decoded = decodeConfig(Experiment, input, "run.json");
  if (E.isRight(decoded)) throw new Error("expected a decoding failure");
  expect(decoded.left.code).toBe("INVALID_CONFIG");
  expect(decoded.left.location).toBe("run.json");
  return decoded.left.message
    .split("\n")
    .slice(1)
    .map((l) => l.trim());
};

describe("decodeConfig", () => {
  const valid = {
    seed: 1,
    mode: "train",
    students: [{ name: "mf8", dim: 8, strategy: { alpha: 0.8, temperature: 2 } }],
  };

  it("returns the decoded value when everything is valid", () => {
    expect(decodeConfig(Experiment, valid)).toEqual(E.right(valid));
  });

  it("reports every invalid field with its path, expectation and value", () => {
    const input = {
      seed: "x",
      mode: "serve",
      students: [valid.students[0], { name: "mf4", dim: 0.5, strategy: { alpha: 1.3, temperature: -1 } }],
    };
    expect(problemsOf(input)).toEqual([
      'seed: expected number, got "x"',
      "students[1].dim: expected an integer in [1, 1024], got 0.5",
      "students[1].strategy.alpha: expected a number in [0, 1], got 1.3",
      "students[1].strategy.temperature: expected a number greater than 0, got -1",
      'mode: expected "train" | "load", got "serve"',
    ]);
  });

  it("reports a missing field and a wrong type at the root", () => {
    expect(problemsOf({ seed: 1, mode: "load" })).toEqual([
      "students: missing (expected Array<{ name: string, dim: an integer in [1, 1024], strategy: { alpha: a numb...)",
    ]);
    expect(problemsOf(null)[0]).toMatch(/^\$: expected .*, got null$/);
  });

  it("rejects NaN and Infinity in ranges", () => {
    expect(E.isLeft(unitInterval.decode(Number.NaN))).toBe(true);
    expect(E.isLeft(positiveNumber.decode(Number.POSITIVE_INFINITY))).toBe(true);
    expect(E.isLeft(integerInRange(1).decode(Number.POSITIVE_INFINITY))).toBe(true);
    expect(integerInRange(1).name).toBe("an integer >= 1");
  });
});

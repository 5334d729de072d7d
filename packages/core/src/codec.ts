/**
 * io-ts helpers for configuration codecs: decoding that reports every invalid field with its
 * path, and the refinements configs need most (probabilities, positive numbers, integers in range).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as t from "io-ts";
import { type KdrecError, kdrecError } from "./error.js";

/**
 * One invalid field: its path in the input (`students[1].strategy.alpha`, `$` for the root),
 * what the codec expected, and the value it got.
 * @category Config
 */
export interface ConfigProblem {
  readonly path: string;
  readonly expected: string;
  readonly actual: unknown;
}

/**
 * Every problem io-ts found, one per invalid field, with unions reported once per field.
 * @category Config
 */
export const configProblems = (errors: t.Errors): ReadonlyArray<ConfigProblem> => {
  const byPath = new Map<string, ConfigProblem>();
  for (const error of errors) {
    const { path, owner } = locate(error.context);
    // A union reports one error per member, all at the union's path: report the union once.
    if (!byPath.has(path))
      byPath.set(path, {
        path,
        expected: error.message ?? owner.type.name.replace(/^\((.*)\)$/, "$1"),
        actual: error.value,
      });
  }
  return [...byPath.values()];
};

/** The input path of an io-ts context, and the entry (codec) that owns the value at that path. */
const locate = (context: t.Context): { path: string; owner: t.ContextEntry } => {
  let path = "";
  let owner = context[0] as t.ContextEntry;
  for (let i = 1; i < context.length; i++) {
    const entry = context[i] as t.ContextEntry;
    const parent = (context[i - 1] as t.ContextEntry).type;
    // A union's or an intersection's key is a member index, not part of the input's shape.
    if (entry.key === "" || parent instanceof t.UnionType || parent instanceof t.IntersectionType) continue;
    const indexed =
      parent instanceof t.ArrayType || parent instanceof t.ReadonlyArrayType || parent instanceof t.TupleType;
    path += indexed ? `[${entry.key}]` : `.${entry.key}`;
    owner = entry;
  }
  return { path: path === "" ? "$" : path.replace(/^\./, ""), owner };
};

const describeValue = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return "an object";
};

/**
 * Renders problems one per line: `students[1].strategy.alpha: expected a number in [0, 1], got 1.3`.
 * @category Config
 */
export const formatConfigProblems = (problems: ReadonlyArray<ConfigProblem>): string =>
  problems
    .map((p) =>
      p.actual === undefined
        ? `${p.path}: missing (expected ${abbreviate(p.expected)})`
        : `${p.path}: expected ${abbreviate(p.expected)}, got ${describeValue(p.actual)}`,
    )
    .join("\n");

// Codec names of nested objects spell out every field; the path already says where to look.
const abbreviate = (expected: string): string => (expected.length <= 80 ? expected : `${expected.slice(0, 77)}...`);

/**
 * Decodes `input` with `codec`; on failure returns an `INVALID_CONFIG` error listing every
 * invalid field, located at `source` (a file name, or what the input is).
 * @example
 * ```ts
 * const Options = t.type({ alpha: unitInterval });
 * decodeConfig(Options, { alpha: 1.3 }, "run.json");
 * // Left: run.json: invalid configuration\n  alpha: expected a number in [0, 1], got 1.3
 * ```
 * @category Config
 */
export const decodeConfig = <A, O>(
  codec: t.Type<A, O, unknown>,
  input: unknown,
  source = "config",
): E.Either<KdrecError, A> =>
  pipe(
    codec.decode(input),
    E.mapLeft((errors) => {
      const problems = configProblems(errors);
      const listed = formatConfigProblems(problems).replace(/^/gm, "  ");
      return kdrecError(
        "INVALID_CONFIG",
        `invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"})\n${listed}`,
        source,
      );
    }),
  );

/** A refinement whose failure message reads as "expected <description>". */
const refined = <A, O>(
  base: t.Type<A, O, unknown>,
  predicate: (a: A) => boolean,
  description: string,
): t.Type<A, O, unknown> =>
  new t.Type<A, O, unknown>(
    description,
    (u): u is A => base.is(u) && predicate(u),
    (u, c) =>
      pipe(
        base.validate(u, c),
        E.chain((a): t.Validation<A> => (predicate(a) ? t.success(a) : t.failure<A>(u, c, description))),
      ),
    base.encode,
  );

/**
 * A finite number in [min, max].
 * @category Config
 */
export const numberInRange = (min: number, max: number): t.Type<number, number, unknown> =>
  refined(t.number, (n) => Number.isFinite(n) && n >= min && n <= max, `a number in [${min}, ${max}]`);

/**
 * A number in [0, 1] — distillation ratios, dropout rates, probabilities.
 * @category Config
 */
export const unitInterval: t.Type<number, number, unknown> = numberInRange(0, 1);

/**
 * A finite number greater than zero — temperatures, learning rates.
 * @category Config
 */
export const positiveNumber: t.Type<number, number, unknown> = refined(
  t.number,
  (n) => Number.isFinite(n) && n > 0,
  "a number greater than 0",
);

/**
 * An integer in [min, max] — dimensions, batch sizes, K of top-K.
 * @category Config
 */
export const integerInRange = (min: number, max = Number.MAX_SAFE_INTEGER): t.Type<number, number, unknown> =>
  refined(
    t.number,
    (n) => Number.isInteger(n) && n >= min && n <= max,
    max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`,
  );

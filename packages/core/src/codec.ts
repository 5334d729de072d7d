/**
 * io-ts helpers for configuration codecs: decoding that reports every invalid field with its
 * path, and the refinements configs need most (probabilities, positive numbers, integers in range).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as t from "io-ts";
import { type KdrecError, kdrecError } from "./error.js";
import { objectSchema, withJsonSchema } from "./json_schema.js";

/**
 * One invalid field: its path in the input (`students[1].strategy.alpha`, `$` for the root),
 * what the codec expected, and the value it got.
 * @category Config
 */
export interface ConfigProblem {
  readonly path: string;
  readonly expected: string;
  readonly actual: unknown;
  /** A whole sentence in place of "expected …, got …" (an unknown key and the key meant). */
  readonly message?: string;
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
    if (byPath.has(path)) continue;
    byPath.set(
      path,
      owner.type === UNKNOWN_KEY
        ? { path, expected: "", actual: error.value, message: error.message ?? "unknown key" }
        : { path, expected: error.message ?? owner.type.name.replace(/^\((.*)\)$/, "$1"), actual: error.value },
    );
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
      p.message !== undefined
        ? `${p.path}: ${p.message}`
        : p.actual === undefined
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
  withJsonSchema(
    refined(t.number, (n) => Number.isFinite(n) && n >= min && n <= max, `a number in [${min}, ${max}]`),
    () => ({ type: "number", minimum: min, maximum: max }),
  );

/**
 * A number in [0, 1] — distillation ratios, dropout rates, probabilities.
 * @category Config
 */
export const unitInterval: t.Type<number, number, unknown> = numberInRange(0, 1);

/**
 * A finite number greater than zero — temperatures, learning rates.
 * @category Config
 */
export const positiveNumber: t.Type<number, number, unknown> = withJsonSchema(
  refined(t.number, (n) => Number.isFinite(n) && n > 0, "a number greater than 0"),
  () => ({ type: "number", exclusiveMinimum: 0 }),
);

/**
 * A number in (0, max]: learning rates, initial scales and temperatures, where zero means nothing
 * and a value past `max` is a typo no run survives (`learningRate: 1e6` makes every weight NaN).
 * @example
 * ```ts
 * positiveAtMost(10).is(1e6); // false
 * ```
 * @category Config
 */
export const positiveAtMost = (max: number): t.Type<number, number, unknown> =>
  withJsonSchema(
    refined(t.number, (n) => Number.isFinite(n) && n > 0 && n <= max, `a number in (0, ${max}]`),
    () => ({ type: "number", exclusiveMinimum: 0, maximum: max }),
  );

/**
 * A name that is safe as a file name everywhere kdrec writes one (`DIR/models/<name>-seed1/`):
 * letters, digits, `.`, `_` and `-`, at most 100 characters, not `.` or `..`.
 * @example
 * ```ts
 * fileSafeName.is("mf8-soft_label.v2"); // true
 * fileSafeName.is("../../escaped"); // false
 * ```
 * @category Config
 */
export const fileSafeName: t.Type<string, string, unknown> = withJsonSchema(
  refined(
    t.string,
    (s) => /^[A-Za-z0-9._-]{1,100}$/.test(s) && s !== "." && s !== "..",
    "a name of letters, digits, '.', '_' and '-' (at most 100; not '.' or '..')",
  ),
  () => ({ type: "string", pattern: "^[A-Za-z0-9._-]{1,100}$", not: { enum: [".", ".."] } }),
);

/**
 * An integer in [min, max] — dimensions, batch sizes, K of top-K.
 * @category Config
 */
export const integerInRange = (min: number, max = Number.MAX_SAFE_INTEGER): t.Type<number, number, unknown> =>
  withJsonSchema(
    refined(
      t.number,
      (n) => Number.isInteger(n) && n >= min && n <= max,
      max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`,
    ),
    () => ({ type: "integer", minimum: min, ...(max === Number.MAX_SAFE_INTEGER ? {} : { maximum: max }) }),
  );

/** The codec named in the context of an unknown key (so that its problem reads as a sentence). */
const UNKNOWN_KEY = new t.Type<never>(
  "unknown key",
  (_u): _u is never => false,
  (u, c) => t.failure(u, c),
  () => {
    throw new Error("unknown keys are never encoded");
  },
);

/** Edit distance, case-insensitive (a key typed in the wrong case is one edit away). */
const distance = (a: string, b: string): number => {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++)
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[y.length]! + (a === b || x !== y ? 0 : 1);
};

/**
 * The known key nearest to `key` when it is close enough to be a typo (at most a third of its
 * letters, or two, edited).
 * @category Config
 */
export const nearestKey = (key: string, known: Iterable<string>): string | undefined => {
  let best: { key: string; d: number } | undefined;
  for (const candidate of known) {
    const d = distance(key, candidate);
    if (best === undefined || d < best.d) best = { key: candidate, d };
  }
  return best !== undefined && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.key : undefined;
};

/**
 * Validates the keys of `input` against `required` and `optional` props: a missing required key,
 * an invalid value and an unknown key (with the nearest known key) are each reported at their path.
 */
const validateStrict = (
  input: Record<string, unknown>,
  context: t.Context,
  required: t.Props,
  optional: t.Props,
): t.Validation<Record<string, unknown>> => {
  const errors: t.Errors = [];
  const out: Record<string, unknown> = {};
  const known = [...Object.keys(required), ...Object.keys(optional)];
  for (const [key, value] of Object.entries(input)) {
    const codec = required[key] ?? optional[key];
    if (codec === undefined) {
      const near = nearestKey(key, known);
      errors.push({
        value,
        context: [...context, { key, type: UNKNOWN_KEY, actual: value }],
        message: near === undefined ? "unknown key" : `unknown key (did you mean "${near}"?)`,
      });
      continue;
    }
    if (value === undefined && key in optional) continue;
    const decoded = codec.validate(value, [...context, { key, type: codec, actual: value }]);
    if (E.isLeft(decoded)) errors.push(...decoded.left);
    else out[key] = decoded.right;
  }
  for (const [key, codec] of Object.entries(required))
    if (!(key in input))
      errors.push(...(codec.validate(undefined, [...context, { key, type: codec }]) as E.Left<t.Errors>).left);
  return errors.length === 0 ? t.success(out) : E.left(errors);
};

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u);

/**
 * An object codec that refuses unknown keys, each at its path with the key it most likely meant:
 * `students[0].stratgy: unknown key (did you mean "strategy"?)`.
 * @example
 * ```ts
 * const Options = strictType({ alpha: unitInterval }, { temperature: positiveNumber }, "Options");
 * decodeConfig(Options, { alpha: 0.5, temprature: 2 }, "run.json");
 * // Left: run.json: invalid configuration\n  temprature: unknown key (did you mean "temperature"?)
 * ```
 * @category Config
 */
export const strictType = <R extends t.Props, O extends t.Props>(
  required: R,
  optional: O,
  name: string,
): t.Type<t.TypeOf<t.TypeC<R>> & t.TypeOf<t.PartialC<O>>, unknown, unknown> =>
  withJsonSchema(
    new t.Type(
      name,
      (u): u is t.TypeOf<t.TypeC<R>> & t.TypeOf<t.PartialC<O>> => isRecord(u),
      (u, c) =>
        isRecord(u)
          ? (validateStrict(u, c, required, optional) as t.Validation<t.TypeOf<t.TypeC<R>> & t.TypeOf<t.PartialC<O>>>)
          : t.failure(u, c, "an object"),
      (a) => a,
    ),
    () => objectSchema(required, optional),
  );

/**
 * The keys of one member of a {@link taggedUnion} (beside the tag).
 * @category Config
 */
export interface TaggedMember {
  readonly required: t.Props;
  readonly optional: t.Props;
}

/**
 * A union discriminated by `tag` whose members are strict objects: the tag's value picks the one
 * member that validates the rest (so errors speak of that member only), an unknown or missing tag
 * lists the valid values, and `fallback` stands for a missing tag when given. `members` is read at
 * each decoding, so a table that grows (a registry) is always current.
 * @example
 * ```ts
 * const Shape = taggedUnion("kind", () => new Map([["circle", { required: { r: positiveNumber }, optional: {} }]]), "Shape");
 * decodeConfig(Shape, { kind: "square" }, "shape.json");
 * // Left: shape.json: invalid configuration\n  kind: expected one of "circle", got "square"
 * ```
 * @category Config
 */
export const taggedUnion = <A extends object = { readonly [key: string]: unknown }>(
  tag: string,
  members: () => ReadonlyMap<string, TaggedMember>,
  name: string,
  fallback?: string,
): t.Type<A, A, unknown> =>
  withJsonSchema(
    new t.Type<A, A, unknown>(
      name,
      (u): u is A => isRecord(u),
      (u, c) => {
        if (!isRecord(u)) return t.failure(u, c, "an object");
        const table = members();
        const valid = `one of ${[...table.keys()].map((k) => JSON.stringify(k)).join(", ")}`;
        const value = u[tag] ?? fallback;
        const member = typeof value === "string" ? table.get(value) : undefined;
        if (member === undefined) return t.failure(u[tag], [...c, { key: tag, type: t.string, actual: u[tag] }], valid);
        const { [tag]: _, ...rest } = u;
        return E.map((decoded: Record<string, unknown>) => ({ [tag]: value, ...decoded }) as A)(
          validateStrict(rest, c, member.required, member.optional),
        );
      },
      (a) => a,
    ),
    () => ({
      oneOf: [...members()].map(([value, member]) => {
        const schema = objectSchema({ ...member.required }, member.optional) as {
          properties: object;
          required?: string[];
        };
        return {
          ...schema,
          properties: { [tag]: { const: value }, ...schema.properties },
          required: [...(value === fallback ? [] : [tag]), ...(schema.required ?? [])],
        };
      }),
    }),
  );

/**
 * The fields of `spec` named in `keys` that are set, as an object without the others: how a
 * decoded config passes its optional fields on under `exactOptionalPropertyTypes`.
 * @example
 * ```ts
 * definedFields({ blocks: 2, heads: undefined }, ["blocks", "heads"]); // { blocks: 2 }
 * ```
 * @category Config
 */
export const definedFields = <T extends object, K extends keyof T>(
  spec: T,
  keys: ReadonlyArray<K>,
): { [P in K]?: Exclude<T[P], undefined> } =>
  Object.fromEntries(keys.filter((k) => spec[k] !== undefined).map((k) => [k, spec[k]])) as {
    [P in K]?: Exclude<T[P], undefined>;
  };

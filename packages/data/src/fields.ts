/**
 * Field-level parsing shared by the loaders: strict numbers, ids, delimited and CSV splitting,
 * each failing with a `file:line` error that says what is wrong.
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";

// A plain decimal or scientific number; rejects "", "0x10", "1e", "NaN", "Infinity".
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/** Where a field came from, for error messages. */
export interface FieldSource {
  readonly file: string;
  readonly line: number;
}

const at = (source: FieldSource): string => `${source.file}:${source.line}`;

/** A field as quoted in a message: at most 200 characters (a 50 MB line is not repeated whole). */
export const quoteField = (text: string): string =>
  text.length <= 200 ? `"${text}"` : `"${text.slice(0, 200)}…" (${text.length.toLocaleString("en-US")} characters)`;

/** Parses a finite number or returns an error naming the field and the text found. */
export const parseNumber = (text: string, field: string, source: FieldSource): number | KdrecError => {
  const trimmed = text.trim();
  if (NON_FINITE.test(trimmed))
    return kdrecError("INVALID_DATA", `${field} must be a finite number, found ${quoteField(trimmed)}`, at(source));
  if (!DECIMAL.test(trimmed))
    return kdrecError("INVALID_DATA", `${field} must be a number, found ${quoteField(trimmed)}`, at(source));
  const value = Number(trimmed);
  return Number.isFinite(value)
    ? value
    : kdrecError("INVALID_DATA", `${field} must be a finite number, found ${quoteField(trimmed)}`, at(source));
};

/**
 * Parses a non-negative integer id (MovieLens ids) and returns it in canonical text form: the
 * digits without leading zeros, exactly (never through a float: ids past 2^53 stay distinct).
 */
export const parseNumericId = (text: string, field: string, source: FieldSource): string | KdrecError => {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed)
    ? trimmed.replace(/^0+(?=\d)/, "")
    : kdrecError(
        "INVALID_DATA",
        `${field} must be a non-negative integer id, found ${quoteField(trimmed)}`,
        at(source),
      );
};

/** Parses a rating and checks it against the declared range and, where the format has one, its step. */
export const parseRating = (
  text: string,
  range: readonly [number, number] | undefined,
  source: FieldSource,
  step?: number,
): number | KdrecError => {
  const value = parseNumber(text, "rating", source);
  if (typeof value !== "number") return value;
  if (step !== undefined && !Number.isInteger(value / step))
    return kdrecError(
      "INVALID_DATA",
      `rating ${value} is not a multiple of ${step} (this format's ratings are ${step === 1 ? "whole" : `${step}`} stars)`,
      at(source),
    );
  if (range === undefined) return value;
  return value >= range[0] && value <= range[1]
    ? value
    : kdrecError(
        "INVALID_DATA",
        `rating ${value} is outside the declared range [${range[0]}, ${range[1]}]`,
        at(source),
      );
};

/** True for the errors the parse functions return (numbers and strings are the values). */
export const isError = (value: unknown): value is KdrecError =>
  typeof value === "object" && value !== null && !Array.isArray(value) && "code" in value;

/** Splits on a delimiter and checks the column count (exact, or at least `min` when `atLeast`). */
export const splitColumns = (
  text: string,
  delimiter: string,
  expected: number,
  source: FieldSource,
  describe = delimiterName(delimiter),
): string[] | KdrecError => {
  const fields = text.split(delimiter);
  return fields.length === expected
    ? fields
    : kdrecError(
        "INVALID_DATA",
        `expected ${expected} ${describe}-separated columns, found ${fields.length}`,
        at(source),
      );
};

/** Splits one CSV record (RFC 4180 quoting, on one line: MovieLens titles hold commas and quotes). */
export const splitCsv = (text: string, delimiter: string, source: FieldSource): string[] | KdrecError => {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === delimiter) {
      fields.push(field);
      field = "";
    } else field += c;
  }
  if (quoted) return kdrecError("INVALID_DATA", "unterminated quoted field", at(source));
  fields.push(field);
  return fields;
};

export const delimiterName = (delimiter: string): string =>
  ({ "\t": "tab", ",": "comma", "|": "pipe", ";": "semicolon", "::": "'::'", " ": "space" })[delimiter] ??
  `'${delimiter}'`;

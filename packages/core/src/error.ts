/**
 * kdrec's one error type: what went wrong, where, and a code to branch on.
 * Fallible operations return it inside fp-ts `Either`/`TaskEither` instead of throwing.
 * @module
 */

/**
 * What kind of failure a {@link KdrecError} reports.
 * @category Errors
 */
export type KdrecErrorCode =
  /** The requested TensorFlow.js backend could not be initialised. */
  | "ENGINE_UNAVAILABLE"
  /** A configuration value failed its codec. */
  | "INVALID_CONFIG"
  /** A function argument is outside what the function accepts. */
  | "INVALID_ARGUMENT"
  /** An input file's content is malformed (the location says file:line). */
  | "INVALID_DATA"
  /** A file or directory could not be read or written. */
  | "IO"
  /** Tensors were created and not disposed. */
  | "TENSOR_LEAK"
  /** The caller aborted the operation (an `AbortSignal`). */
  | "ABORTED"
  /** Training produced a non-finite loss (a learning rate or initialisation too large). */
  | "DIVERGED";

/**
 * A failure with a code, a message and, where it is known, a location: `file:line` for input
 * files, a dotted config path such as `students[1].strategy.alpha`, or a function name.
 * @category Errors
 */
export interface KdrecError {
  readonly code: KdrecErrorCode;
  readonly message: string;
  readonly location?: string;
}

/**
 * Builds a {@link KdrecError}.
 * @example
 * ```ts
 * kdrecError("INVALID_ARGUMENT", "expected a positive integer, got -3", "topK.k");
 * ```
 * @category Errors
 */
export const kdrecError = (code: KdrecErrorCode, message: string, location?: string): KdrecError =>
  location === undefined ? { code, message } : { code, message, location };

/**
 * Renders an error the way compilers do: `location: message`, or the message alone.
 * @category Errors
 */
export const formatKdrecError = (error: KdrecError): string =>
  error.location === undefined ? error.message : `${error.location}: ${error.message}`;

/**
 * Converts a {@link KdrecError} into a throwable `Error` (with the code and location kept as
 * properties), for the few places that must throw: test assertions and command-line entry points.
 * @category Errors
 */
export const toThrowable = (error: KdrecError): Error & KdrecError =>
  Object.assign(new Error(formatKdrecError(error)), { code: error.code, location: error.location }) as Error &
    KdrecError;

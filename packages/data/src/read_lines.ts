/**
 * Streams a text file line by line with 1-based line numbers, as kdrec's loaders need it:
 * a UTF-8 byte-order mark and CRLF endings are accepted, trailing blank lines are ignored, a
 * blank line followed by more data is reported, and a gzip file (`.gz`, as publishers ship
 * them) is decompressed on the fly. Node-only (reads with `node:fs`).
 * @module
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { type KdrecError, kdrecError } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";

/** What a line handler returns: nothing to go on, or the error that stops the read. */
export type LineResult = KdrecError | undefined;

/** Options of {@link readLines}. */
export interface ReadLinesOptions {
  /** `latin1` for MovieLens' u.item and movies.dat; default `utf8`. */
  readonly encoding?: "utf8" | "latin1";
  /** Called now and then with bytes read so far and the file size (compressed bytes for `.gz`). */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/**
 * Calls `onLine(text, lineNumber)` for every line of `path`; stops at the first error it returns.
 * Fails with `INVALID_DATA` (`path: empty file`) when the file has no non-blank line, and with
 * `IO` when it cannot be read.
 */
export const readLines = async (
  path: string,
  onLine: (text: string, lineNumber: number) => LineResult,
  options: ReadLinesOptions = {},
): Promise<E.Either<KdrecError, number>> => {
  let totalBytes: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) return E.left(kdrecError("IO", "not a regular file", path));
    totalBytes = info.size;
  } catch (error) {
    return E.left(
      kdrecError("IO", `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, path),
    );
  }
  const encoding = options.encoding ?? "utf8";
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  let bytesRead = 0;
  file.on("data", (chunk) => {
    bytesRead += chunk.length;
  });
  const gunzip = path.endsWith(".gz") ? createGunzip() : undefined;
  // A corrupt gzip stream fails the decompressor; a file error fails the file: either ends the read.
  if (gunzip !== undefined) file.on("error", (error) => gunzip.destroy(error));
  const stream = (gunzip === undefined ? file : file.pipe(gunzip)).setEncoding(encoding);
  let lineNumber = 0;
  let dataLines = 0;
  let firstBlank = 0; // line number of the first blank line in the current run of blank lines
  let rest = "";
  let failure: KdrecError | undefined;

  const handle = (raw: string): void => {
    lineNumber += 1;
    let text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (lineNumber === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === "") {
      if (firstBlank === 0) firstBlank = lineNumber;
      return;
    }
    if (firstBlank !== 0) {
      failure = kdrecError("INVALID_DATA", "blank line inside the data", `${path}:${firstBlank}`);
      return;
    }
    dataLines += 1;
    failure = onLine(text, lineNumber);
  };

  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        handle(line);
        if (failure !== undefined) break;
      }
      if (failure !== undefined) break;
      options.onProgress?.(bytesRead, totalBytes);
    }
    if (failure === undefined && rest !== "") handle(rest);
  } catch (error) {
    return E.left(kdrecError("IO", `cannot read: ${(error as Error).message}`, path));
  } finally {
    stream.destroy();
    file.destroy();
  }
  if (failure !== undefined) return E.left(failure);
  if (dataLines === 0) return E.left(kdrecError("INVALID_DATA", "empty file", path));
  return E.right(dataLines);
};

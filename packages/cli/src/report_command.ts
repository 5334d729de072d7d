/**
 * `kdrec report DIR [DIR…] [--out FILE]`: one self-contained HTML page over one or several run
 * folders (through `@kdrec/report`).
 * @module
 */
import { join } from "node:path";
import { type KdrecError, kdrecError } from "@kdrec/core";
import { writeReport } from "@kdrec/report/node";
import * as E from "fp-ts/lib/Either.js";
import type { CommandIo } from "./io.js";

/** Runs `kdrec report` with parsed options: by default one run's page goes into its folder. */
export const reportCommand = async (
  values: { paths?: ReadonlyArray<string>; out?: string },
  io: CommandIo,
): Promise<E.Either<KdrecError, void>> => {
  const dirs = values.paths ?? [];
  if (dirs.length === 0)
    return E.left(kdrecError("INVALID_ARGUMENT", "name at least one run folder (kdrec report DIR [DIR…])", "report"));
  if (dirs.length > 1 && values.out === undefined)
    return E.left(kdrecError("INVALID_ARGUMENT", "is required with several run folders: the page to write", "--out"));
  const out = values.out ?? join(dirs[0]!, "report.html");
  const written = await writeReport(dirs, out);
  if (E.isLeft(written)) return written;
  io.out(`wrote ${written.right} (${dirs.length} run${dirs.length > 1 ? "s" : ""}): open it in a browser\n`);
  return E.right(undefined);
};

/**
 * `kdrec recommend` and `kdrec serve`: a model bundle written by `kdrec run`, asked once from the
 * command line or served over HTTP (`@kdrec/serving`, `@kdrec/http`).
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import { loadAnyRecommender } from "@kdrec/experiment";
import { serveModels } from "@kdrec/http";
import { formatRecommendations } from "@kdrec/serving";
import * as E from "fp-ts/lib/Either.js";
import type { CommandIo } from "./io.js";
import { positiveIntegerOption } from "./options.js";

/** `kdrec recommend --model DIR (--user ID | --history ID,ID,…) [--k 10] [--json]`. */
export const recommendCommand = async (
  values: { model?: string[]; user?: string; history?: string; k?: string; json?: boolean },
  io: CommandIo,
): Promise<E.Either<KdrecError, void>> => {
  if (values.model?.length !== 1)
    return E.left(kdrecError("INVALID_ARGUMENT", "is required once: a model folder written by kdrec run", "--model"));
  if (values.user === undefined && values.history === undefined)
    return E.left(
      kdrecError("INVALID_ARGUMENT", "say whom to recommend for: --user ID or --history ID,ID,…", "--user"),
    );
  const k = positiveIntegerOption(values.k, 10, "--k");
  if (E.isLeft(k)) return k;
  const recommender = await loadAnyRecommender(values.model[0]!);
  if (E.isLeft(recommender)) return recommender;
  const history = values.history
    ?.split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
  const result = recommender.right.recommend({
    ...(values.user === undefined ? {} : { user: values.user }),
    ...(history === undefined ? {} : { history }),
    k: k.right,
  });
  recommender.right.dispose();
  if (E.isLeft(result)) return result;
  const { source, fallbackReason, unknownItems } = result.right;
  if (values.json === true) io.out(`${JSON.stringify(result.right, null, 2)}\n`);
  else {
    if (source === "popularity") io.err(`kdrec: the popularity fallback answered: ${fallbackReason}\n`);
    if (unknownItems !== undefined) io.err(`kdrec: not in the catalogue (ignored): ${unknownItems.join(", ")}\n`);
    io.out(`${formatRecommendations(result.right)}\n`);
  }
  return E.right(undefined);
};

/** `kdrec serve --model DIR [--model DIR…] [--host 127.0.0.1] [--port 8080] [--max-k 100]`. */
export const serveCommand = async (
  values: { model?: string[]; host?: string; port?: string; "max-k"?: string },
  io: CommandIo,
): Promise<E.Either<KdrecError, void>> => {
  if (values.model === undefined || values.model.length === 0)
    return E.left(kdrecError("INVALID_ARGUMENT", "is required: a model folder written by kdrec run", "--model"));
  const port =
    values.port === undefined
      ? E.right(8080)
      : values.port === "0"
        ? E.right(0)
        : positiveIntegerOption(values.port, 0, "--port");
  if (E.isLeft(port) || port.right > 65535)
    return E.left(kdrecError("INVALID_ARGUMENT", `not a port: "${values.port}"`, "--port"));
  const maxK = positiveIntegerOption(values["max-k"], 100, "--max-k");
  if (E.isLeft(maxK)) return maxK;
  const served = await serveModels(values.model, (dir) => loadAnyRecommender(dir), {
    host: values.host ?? "127.0.0.1",
    port: port.right,
    maxK: maxK.right,
    onLoaded: (r, dir) => io.err(`kdrec: serving ${r.name} (${r.architecture}, ${r.items} items) from ${dir}\n`),
    onListening: (url) => io.out(`listening on ${url}\n`),
  });
  if (E.isRight(served)) io.err("kdrec: stopped\n");
  return served;
};

/**
 * Running a service until the process is asked to stop: listen, then on SIGTERM or SIGINT stop
 * accepting connections, finish the requests in flight, and return.
 * @module
 */
import { type KdrecError, kdrecError } from "@kdrec/core";
import type { Recommender } from "@kdrec/serving";
import type { FastifyInstance } from "fastify";
import * as E from "fp-ts/lib/Either.js";
import { recommenderService, type ServiceOptions } from "./service.js";

/**
 * Listens on `host:port` (port 0 picks a free one), tells `onListening` the address, and resolves
 * once a SIGTERM or SIGINT has closed the service gracefully.
 * @example
 * ```ts
 * await serveUntilSignal(app, { host: "127.0.0.1", port: 8080 }, (url) => console.log(`listening on ${url}`));
 * ```
 * @category Service
 */
export const serveUntilSignal = async (
  app: FastifyInstance,
  address: { readonly host: string; readonly port: number },
  onListening: (url: string) => void,
): Promise<void> => {
  const url = await app.listen({ host: address.host, port: address.port });
  onListening(url);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      resolve();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  await app.close();
};

/**
 * Loads every model of `locations` with `load`, serves them all (routed by name) until SIGTERM or
 * SIGINT, and frees them. Fails before listening on a model that does not load or a name served
 * twice, and if the address cannot be bound.
 * @example
 * ```ts
 * await serveModels(["runs/q/models/mf8-seed1"], (dir) => loadRecommender(dir), {
 *   host: "127.0.0.1", port: 0, onListening: (url) => console.log(`listening on ${url}`),
 * });
 * ```
 * @category Service
 */
export const serveModels = async (
  locations: ReadonlyArray<string>,
  load: (location: string) => Promise<E.Either<KdrecError, Recommender>>,
  options: ServiceOptions & {
    readonly host: string;
    readonly port: number;
    readonly onListening: (url: string) => void;
    readonly onLoaded?: (recommender: Recommender, location: string) => void;
  },
): Promise<E.Either<KdrecError, void>> => {
  const recommenders: Recommender[] = [];
  const free = () => {
    for (const r of recommenders) r.dispose();
  };
  for (const location of locations) {
    const loaded = await load(location);
    if (E.isLeft(loaded)) {
      free();
      return loaded;
    }
    recommenders.push(loaded.right);
    if (recommenders.filter((r) => r.name === loaded.right.name).length > 1) {
      free();
      return E.left(kdrecError("INVALID_ARGUMENT", `two models are named "${loaded.right.name}"`, location));
    }
    options.onLoaded?.(loaded.right, location);
  }
  const app = await recommenderService(recommenders, options);
  try {
    await serveUntilSignal(app, options, options.onListening);
    return E.right(undefined);
  } catch (error) {
    return E.left(kdrecError("IO", (error as Error).message, `${options.host}:${options.port}`));
  } finally {
    free();
  }
};

/**
 * An HTTP recommender service over loaded recommenders (Fastify 5):
 *
 * - `GET /recommendations?user=ID&k=10[&model=NAME]`: a known user's top k;
 * - `POST /recommendations` `{ "history": [ids…], "user"?, "times"?, "k"?, "exclude"?, "model"? }`;
 * - `GET /models`, `GET /healthz`, `GET /metrics` (Prometheus text).
 *
 * Requests and responses have JSON Schemas; anything outside them (k ≤ 0, over the limit or not an
 * integer, unknown fields, malformed JSON, a body over the limit, an unknown model) is a 4xx
 * with a message. Several models are served at once, routed by `model`.
 * @module
 */
import type { Recommender, RecommendRequest, RecommendResult } from "@kdrec/serving";
import { Ajv } from "ajv";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import * as E from "fp-ts/lib/Either.js";
import { serviceMetrics } from "./metrics.js";

/**
 * Options of {@link recommenderService}.
 * @category Service
 */
export interface ServiceOptions {
  /** The largest k a request may ask; default 100. */
  readonly maxK?: number;
  /** The largest request body, bytes; default 64 KiB. */
  readonly bodyLimit?: number;
  /** The longest history a request may send; default 1,000 items. */
  readonly maxHistory?: number;
}

const id = { type: "string", minLength: 1, maxLength: 256 } as const;

/** The JSON Schemas of the service's requests and responses. */
const schemas = (maxK: number, maxHistory: number) => {
  const k = { type: "integer", minimum: 1, maximum: maxK, default: 10 } as const;
  const model = id;
  const recommendation = {
    type: "object",
    properties: { item: { type: "string" }, score: { type: "number" }, title: { type: "string" } },
    required: ["item", "score"],
  } as const;
  const response = {
    200: {
      type: "object",
      properties: {
        model: { type: "string" },
        items: { type: "array", items: recommendation },
        source: { type: "string", enum: ["model", "popularity"] },
        fallbackReason: { type: "string" },
        unknownItems: { type: "array", items: { type: "string" } },
      },
      required: ["model", "items", "source"],
    },
  } as const;
  return {
    get: {
      querystring: {
        type: "object",
        properties: { user: id, k, model },
        required: ["user"],
        additionalProperties: false,
      },
      response,
    },
    post: {
      body: {
        type: "object",
        properties: {
          history: { type: "array", items: id, maxItems: maxHistory },
          times: { type: "array", items: { type: "number" }, maxItems: maxHistory },
          user: id,
          k,
          exclude: { type: "array", items: id, maxItems: maxHistory },
          model,
        },
        anyOf: [{ required: ["history"] }, { required: ["user"] }],
        additionalProperties: false,
      },
      response,
    },
  };
};

/**
 * A Fastify instance serving `recommenders` (not yet listening: call `listen`, and `close` to
 * stop, which finishes the requests in flight).
 * @example
 * ```ts
 * const app = await recommenderService([recommender]);
 * const address = await app.listen({ host: "127.0.0.1", port: 0 });
 * ```
 * @category Service
 */
export const recommenderService = async (
  recommenders: ReadonlyArray<Recommender>,
  options: ServiceOptions = {},
): Promise<FastifyInstance> => {
  const maxK = options.maxK ?? 100;
  const byName = new Map(recommenders.map((r) => [r.name, r]));
  if (byName.size !== recommenders.length) throw new Error("two served models have the same name");
  const bodyLimit = options.bodyLimit ?? 64 * 1024;
  const app = Fastify({ bodyLimit, logger: false });
  // Unknown fields are refused, not dropped; query strings ("10") are read as numbers, JSON bodies
  // are taken as sent (a number where an id belongs is an error).
  const strict = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: true });
  const query = new Ajv({ removeAdditional: false, coerceTypes: true, useDefaults: true });
  app.removeContentTypeParser("text/plain"); // JSON only: anything else is a 415
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === "querystring" ? query : strict).compile(schema));
  const metrics = serviceMetrics();
  const started = new WeakMap<object, bigint>();
  app.addHook("onRequest", async (request) => {
    started.set(request, process.hrtime.bigint());
  });
  app.addHook("onResponse", async (request, reply) => {
    const start = started.get(request);
    const route = request.routeOptions.url ?? "unknown";
    if (start !== undefined) metrics.observe(route, reply.statusCode, Number(process.hrtime.bigint() - start) / 1e9);
  });
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    const message =
      error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE"
        ? "content-type must be application/json"
        : error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
          ? `the request body is over the limit of ${bodyLimit} bytes`
          : status === 500
            ? "the service failed on this request" // no internals in answers
            : error.message;
    return reply.status(status).send({ error: status === 500 ? "internal error" : "bad request", message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: "not found", message: `no route ${request.method} ${request.url.split("?")[0]}` }),
  );

  const pick = (name: string | undefined): Recommender | string => {
    if (name !== undefined)
      return byName.get(name) ?? `unknown model "${name}" (served: ${[...byName.keys()].join(", ")})`;
    return recommenders.length === 1
      ? recommenders[0]!
      : `several models are served: say which with "model" (${[...byName.keys()].join(", ")})`;
  };
  const answer = (
    model: string | undefined,
    request: RecommendRequest,
    reply: { status: (n: number) => { send: (x: unknown) => unknown } },
  ) => {
    const recommender = pick(model);
    if (typeof recommender === "string") return reply.status(400).send({ error: "bad request", message: recommender });
    const result = recommender.recommend(request);
    if (E.isLeft(result))
      return reply
        .status(400)
        .send({ error: "bad request", message: `${result.left.location}: ${result.left.message}` });
    if (result.right.source === "popularity") metrics.fallback(recommender.name);
    return reply.status(200).send(result.right satisfies RecommendResult);
  };

  const { get, post } = schemas(maxK, options.maxHistory ?? 1000);
  app.get<{ Querystring: { user: string; k: number; model?: string } }>(
    "/recommendations",
    { schema: get },
    (request, reply) => answer(request.query.model, { user: request.query.user, k: request.query.k }, reply),
  );
  app.post<{
    Body: { history?: string[]; times?: number[]; user?: string; k: number; exclude?: string[]; model?: string };
  }>("/recommendations", { schema: post }, (request, reply) => {
    const { model, ...rest } = request.body;
    return answer(model, rest, reply);
  });
  app.get("/models", async () => ({
    models: recommenders.map((r) => ({
      name: r.name,
      architecture: r.architecture,
      items: r.items,
      users: r.users,
      readsHistories: r.readsHistories,
      parameters: r.info.parameters,
      data: r.info.data.name,
    })),
  }));
  app.get("/healthz", async () => ({ status: "ok", models: recommenders.map((r) => r.name) }));
  app.get("/metrics", async (_request, reply) => reply.type("text/plain; version=0.0.4").send(metrics.render()));
  return app;
};

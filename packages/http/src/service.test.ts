import { join } from "node:path";
import { decodeConfig } from "@kdrec/core";
import { syntheticDataset } from "@kdrec/data";
import { experimentSpec, openRunFolder } from "@kdrec/experiment";
import { loadRecommender, type Recommender } from "@kdrec/serving";
import { describeEachBackend, scratchFolders, tinyTowerRun } from "@kdrec/testing";
import autocannon from "autocannon";
import type { FastifyInstance } from "fastify";
import * as E from "fp-ts/lib/Either.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { recommenderService } from "./service.js";

const scratch = scratchFolders("kdrec-http-");
const dataset = syntheticDataset({ seed: 5, users: 100, items: 150 });
const right = <A>(x: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(x)) throw new Error(x.left.message);
  return x.right;
};

// The service does no tensor work: one backend (the models are trained on the native one).
describeEachBackend("recommenderService", () => {
  let app: FastifyInstance;
  let base: string;
  let recommenders: Recommender[];
  const user = dataset.interactions.userIds[3]!;
  const history = dataset.interactions.itemIds.slice(10, 16);

  beforeAll(async () => {
    // Models as `kdrec run` writes them.
    const out = scratch();
    const spec = right(decodeConfig(experimentSpec(), tinyTowerRun(1)));
    const folder = right(await openRunFolder(out));
    right(await folder.run(spec, { data: { name: "synthetic", interactions: dataset.interactions } }));
    recommenders = await Promise.all(
      ["mf16-seed1", "tower11-seed1"].map(async (dir) => right(await loadRecommender(join(out, "models", dir)))),
    );
    app = await recommenderService(recommenders, { maxK: 50, bodyLimit: 4096 });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  const call = async (path: string, init?: RequestInit) => {
    const response = await fetch(`${base}${path}`, init);
    const text = await response.text();
    return {
      status: response.status,
      body: response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text,
    };
  };
  const post = (body: unknown, raw?: string) =>
    call("/recommendations", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: raw ?? JSON.stringify(body),
    });

  it("answers by original ids what the recommender answers, for a user and for a history", async () => {
    const got = await call(`/recommendations?user=${user}&k=5&model=mf16`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(right(recommenders[0]!.recommend({ user, k: 5 })));
    const fromHistory = await post({ history, k: 7, model: "tower11" });
    expect(fromHistory.status).toBe(200);
    expect(fromHistory.body).toEqual(right(recommenders[1]!.recommend({ history, k: 7 })));
    expect(fromHistory.body.items).toHaveLength(7);
    const unknown = await call("/recommendations?user=nobody&model=mf16");
    expect(unknown.body).toMatchObject({ source: "popularity", fallbackReason: 'unknown user "nobody"' });
    expect(unknown.body.items).toHaveLength(10);
    expect((await call("/healthz")).body).toEqual({ status: "ok", models: ["mf16", "tower11"] });
    expect((await call("/models")).body.models.map((m: { name: string }) => m.name)).toEqual(["mf16", "tower11"]);
  });

  it("answers every bad request with a 4xx and a message, never a 5xx", async () => {
    const bad: Array<[string, () => Promise<{ status: number; body: { message?: string } }>, number, RegExp]> = [
      ["k = 0", () => call(`/recommendations?user=${user}&k=0&model=mf16`), 400, /k must be >= 1/],
      ["k over the limit", () => call(`/recommendations?user=${user}&k=51&model=mf16`), 400, /k must be <= 50/],
      ["k not an integer", () => call(`/recommendations?user=${user}&k=2.5&model=mf16`), 400, /k must be integer/],
      ["k not a number", () => call(`/recommendations?user=${user}&k=ten&model=mf16`), 400, /k must be integer/],
      ["no user", () => call("/recommendations?model=mf16"), 400, /must have required property 'user'/],
      [
        "an unknown query field",
        () => call(`/recommendations?user=${user}&model=mf16&kk=3`),
        400,
        /must NOT have additional properties/,
      ],
      [
        "an unknown model",
        () => call(`/recommendations?user=${user}&model=bert`),
        400,
        /unknown model "bert" \(served: mf16, tower11\)/,
      ],
      [
        "no model while several are served",
        () => call(`/recommendations?user=${user}`),
        400,
        /several models are served/,
      ],
      ["malformed JSON", () => post(undefined, '{"history": ["1",'), 400, /JSON/],
      [
        "an unknown body field",
        () => post({ history, model: "tower11", extra: 1 }),
        400,
        /must NOT have additional properties/,
      ],
      ["neither history nor user", () => post({ k: 3, model: "tower11" }), 400, /must have required property/],
      ["a history of numbers", () => post({ history: [1, 2], model: "tower11" }), 400, /must be string/],
      [
        "times not matching the history",
        () => post({ history, times: [1], model: "tower11" }),
        400,
        /times: 1 times for 6 items/,
      ],
      [
        "a body over the limit",
        () => post({ history: Array.from({ length: 900 }, (_, j) => `${j}`), model: "tower11" }),
        413,
        /body/i,
      ],
      [
        "not JSON at all",
        () => call("/recommendations", { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" }),
        415,
        /content-type/i,
      ],
      ["an unknown route", () => call("/recommend"), 404, /no route GET \/recommend/],
    ];
    for (const [what, request, status, message] of bad) {
      const got = await request();
      expect(got.status, what).toBe(status);
      expect(got.body.message, what).toMatch(message);
    }
    expect((await call("/healthz")).status).toBe(200);
  });

  it("serves 10,000 requests over 64 connections with no error and no 5xx, and counts them in /metrics", async () => {
    const result = await autocannon({
      url: base,
      connections: 64,
      amount: 10_000,
      timeout: 10,
      requests: [
        { method: "GET", path: `/recommendations?user=${user}&k=10&model=tower11` },
        {
          method: "POST",
          path: "/recommendations",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ history, k: 10, model: "tower11" }),
        },
      ],
    });
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result["2xx"]).toBe(10_000);
    const metrics = (await call("/metrics")).body as string;
    const served = [...metrics.matchAll(/kdrec_requests_total\{route="\/recommendations",status="200"\} (\d+)/g)];
    expect(Number(served[0]![1])).toBeGreaterThanOrEqual(10_000);
    expect(metrics).toMatch(/kdrec_fallbacks_total\{model="mf16"\} 1/);
    expect(metrics).toMatch(/kdrec_request_duration_seconds_bucket\{route="\/recommendations",le="\+Inf"\} \d+/);
  }, 60_000);
}, ["tensorflow"]);

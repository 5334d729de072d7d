// The demo page in a real headless browser (Debian's chromium, driven by playwright-core): it loads
// a tower bundle written by a run, shows the same top 10 as the Node recommender for the same
// history with a reason for each, logs no error, and sends nothing but requests for its own files.
import { mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join } from "node:path";
import { decodeConfig } from "@kdrec/core";
import { syntheticDataset } from "@kdrec/data";
import { experimentSpec, openRunFolder } from "@kdrec/experiment";
import { loadRecommender } from "@kdrec/serving";
import { describeEachBackend, scratchFolders, tinyTowerRun } from "@kdrec/testing";
import * as E from "fp-ts/lib/Either.js";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildDemo } from "./build_demo.js";

const CHROMIUM = process.env.KDREC_CHROMIUM ?? "/usr/bin/chromium";
const scratch = scratchFolders("kdrec-browser-");
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".json": "application/json" };

const right = <A>(x: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(x)) throw new Error(x.left.message);
  return x.right;
};

/** A static server of `dir` on loopback (a free port). */
const serveFolder = async (dir: string): Promise<{ server: Server; base: string }> => {
  const server = createServer((request, response) => {
    const path = join(
      dir,
      decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname).replace(/\/$/, "/index.html"),
    );
    try {
      const body = readFileSync(path);
      response.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};

// The page runs no TF.js: the bundle is trained once, on the native backend.
describeEachBackend("the browser demo page", () => {
  let site: string;
  let model: string;
  let server: Server;
  let base: string;
  let browser: Browser;
  beforeAll(async () => {
    const data = syntheticDataset({ seed: 11, users: 150, items: 200 });
    const out = scratch();
    const spec = right(decodeConfig(experimentSpec(), tinyTowerRun(2)));
    const folder = right(await openRunFolder(out));
    right(await folder.run(spec, { data: { name: "synthetic", interactions: data.interactions } }));
    model = join(out, "models", "tower11-seed1");
    site = join(scratch(), "site");
    await buildDemo({ model, out: site });
    ({ server, base } = await serveFolder(site));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it("recommends in the page exactly what the Node recommender does, with a reason for each, no error, no data sent", async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("request", (request) => requests.push(`${request.method()} ${request.url()}`));
    await page.goto(`${base}/index.html`);
    await page.waitForSelector("body[data-ready=true]");

    // Pick five items from the catalogue list, as a person would.
    const picked: string[] = [];
    for (let k = 0; k < 5; k++) {
      const button = page.locator("#catalogue button").nth(k * 3);
      picked.push((await button.getAttribute("data-item"))!);
      await button.click();
    }
    await expect.poll(() => page.locator("#history li").count()).toBe(5);
    const shown = await page
      .locator("#recommendations li")
      .evaluateAll((items) =>
        items.map((li) => ({ item: li.getAttribute("data-item"), reason: li.querySelector(".reason")?.textContent })),
      );

    const node = right(await loadRecommender(model));
    const expected = right(node.recommend({ history: picked, k: 10 }));
    expect(shown.map((s) => s.item)).toEqual(expected.items.map((r) => r.item));
    const why = right(node.explain(picked, { items: expected.items.map((r) => r.item) }));
    expect(shown.map((s) => s.reason)).toEqual(why.reasons.map((r) => `because you watched item ${r.because!.item}`));

    // The history is kept by the page itself: a reload shows it again.
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    expect(
      await page.locator("#history li").evaluateAll((items) => items.map((li) => li.getAttribute("data-item"))),
    ).toEqual(picked);

    const ms = Number(await page.locator("#timing").getAttribute("data-ms"));
    console.log(`top 10 in the browser: ${ms.toFixed(3)} ms per recommendation (mean of 20)`);
    expect(ms).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    expect(requests.filter((r) => !r.startsWith(`GET ${base}/`))).toEqual([]);
    const artifacts = process.env.KDREC_TEST_REPORT_DIR ?? join(site, "..");
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, "browser-demo.png"), fullPage: true });
    await page.close();
  });
}, ["tensorflow"]);

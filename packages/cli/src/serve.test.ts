// `kdrec serve` as a process: it binds loopback on a free port, answers, refuses bad requests with
// a 4xx, and stops gracefully on SIGTERM (exit 0). Runs the built CLI (`npm run setup` builds it).
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { scratchFolders } from "@kdrec/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./main.js";

const scratch = scratchFolders("kdrec-serve-");
const bin = fileURLToPath(new URL("../bin/kdrec.js", import.meta.url));
const quiet = { out: () => undefined, err: () => undefined, interactive: false };

describe("kdrec serve", () => {
  let out: string;
  let server: ChildProcess;
  let base: string;
  let stderr = "";
  beforeAll(async () => {
    out = join(scratch(), "run");
    expect(await main(["run", "--out", out, "--seeds", "1"], quiet)).toBe(0);
    server = spawn(
      process.execPath,
      [
        bin,
        "serve",
        "--model",
        join(out, "models", "mf8-soft-label-seed1"),
        "--model",
        join(out, "models", "teacher-mf64-seed1"),
        "--port",
        "0",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    server.stderr!.on("data", (chunk) => (stderr += chunk));
    base = await new Promise<string>((resolve, reject) => {
      let text = "";
      server.stdout!.on("data", (chunk) => {
        text += chunk;
        const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
        if (found !== null) resolve(found[1]!);
      });
      server.on("exit", (code) => reject(new Error(`kdrec serve exited with ${code}: ${stderr}`)));
    });
  }, 180_000);
  afterAll(() => {
    server?.kill("SIGKILL");
  });

  it("serves the run's models by name on loopback, and stops on SIGTERM with exit 0", async () => {
    const models = await (await fetch(`${base}/models`)).json();
    expect(models.models.map((m: { name: string }) => m.name)).toEqual(["mf8-soft-label", "teacher-mf64"]);
    const top = await fetch(`${base}/recommendations?user=1&k=4&model=mf8-soft-label`);
    expect(top.status).toBe(200);
    const body = await top.json();
    expect(body).toMatchObject({ model: "mf8-soft-label", source: "model" });
    expect(body.items).toHaveLength(4);
    const bad = await fetch(`${base}/recommendations?user=1&k=1000&model=mf8-soft-label`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/k must be <= 100/);
    const exited = new Promise<number | null>((resolve) => server.on("exit", (code) => resolve(code)));
    server.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/kdrec: stopped/);
  }, 60_000);

  it("refuses a missing model folder before listening, naming it", async () => {
    let err = "";
    const code = await main(["serve", "--model", join(out, "models", "nothing-here")], {
      ...quiet,
      err: (t) => (err += t),
    });
    expect(code).toBe(1);
    expect(err).toMatch(/nothing-here\/model\.json: no such file/);
  });
});

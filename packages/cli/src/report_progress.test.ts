// `kdrec report` over run folders, and the progress `kdrec run` shows: live bars on a terminal
// (cleared before the table), one line per epoch in a log, nothing with --quiet.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { scratchFolders } from "@kdrec/testing";
import { describe, expect, it } from "vitest";
import type { CommandIo } from "./io.js";
import { main } from "./main.js";
import { trainingProgress } from "./training_progress.js";

const scratch = scratchFolders("kdrec-report-cli-");
const run = async (argv: string[], interactive = false) => {
  let out = "";
  let err = "";
  const io: CommandIo = { out: (t) => (out += t), err: (t) => (err += t), interactive };
  const code = await main(argv, io);
  return { code, out, err, errors: err.split("\n").filter((l) => l.startsWith("kdrec: error:")) };
};
const quick = { maxEpochs: 2, patience: 2, batchSize: 256 };
const tinyRun = async (dir: string, name: string, extra: string[] = []) => {
  const config = join(dir, `${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      dataset: { format: "synthetic", options: { seed: 3, users: 50, items: 60 } },
      teacher: { name: "teacher", dim: 8, ...quick },
      students: [{ name: "student", dim: 4, ...quick }],
    }),
  );
  const out = join(dir, name);
  return { out, result: await run(["run", config, "--out", out, ...extra]) };
};

describe("kdrec report", () => {
  it("writes one page over several runs, labelling each run's models by its folder", async () => {
    const dir = scratch();
    const a = await tinyRun(dir, "run-a");
    const b = await tinyRun(dir, "run-b");
    expect([a.result.code, b.result.code]).toEqual([0, 0]);
    const page = join(dir, "both.html");
    const result = await run(["report", a.out, b.out, "--out", page]);
    expect(result.errors).toEqual([]);
    expect(result.out).toBe(`wrote ${page} (2 runs): open it in a browser\n`);
    const html = readFileSync(page, "utf8");
    for (const label of ["run-a/teacher", "run-b/student"]) expect(html.includes(label)).toBe(true);
  });

  it("refuses no folder, several folders without --out, and a folder with no finished run", async () => {
    const dir = scratch();
    expect((await run(["report"])).errors[0]).toMatch(/name at least one run folder/);
    expect((await run(["report", dir, dir])).errors[0]).toMatch(/--out: is required with several run folders/);
    const empty = await run(["report", dir]);
    expect(empty.code).toBe(1);
    expect(empty.errors[0]).toMatch(/no results\.json: not a finished kdrec run/);
  });
});

/** A stand-in terminal: what cli-progress writes to it (text and ANSI control sequences). */
const fakeTerminal = () => {
  let text = "";
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    }),
    { isTTY: true, columns: 120 },
  );
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
};

describe("progress of kdrec run", () => {
  it("draws a bar per model and seed with rate and time left on a terminal, prints epochs above, and clears it", async () => {
    const terminal = fakeTerminal();
    const io: CommandIo = { out: () => undefined, err: () => undefined, interactive: true };
    const progress = trainingProgress(io, { backend: "tensorflow", stream: terminal.stream });
    const record = {
      phase: "train",
      epoch: 0,
      round: 0,
      loss: 0.5,
      validNdcg10: 0.1,
      validHr10: 0.2,
      seconds: 1,
      tensors: 0,
    } as const;
    for (let done = 1; done <= 20; done++)
      progress.onEvent({ kind: "batch", model: "mf8", seed: 1, epoch: 0, done, total: 40 });
    await new Promise((resolve) => setTimeout(resolve, 150)); // a redraw
    progress.onEvent({ kind: "epoch", model: "mf8", seed: 1, record });
    progress.stop();
    const text = terminal.text();
    expect(text).toMatch(/mf8 seed 1 epoch 0 \|.*\| 20\/40 batches \| \d+ batches\/s \| .* left/);
    expect(text).toContain("[mf8 seed 1] train epoch 0 loss 0.5000 valid ndcg@10 0.1000");
    // The epoch's line is printed over the cleared bar line, and the bars are erased at the end
    // (ESC[0J: clear to the end of the screen) before the table.
    expect(text).toContain("\u001b[2K[mf8 seed 1] train epoch 0");
    expect(text.endsWith("\u001b[0J")).toBe(true);
  });

  it("prints one line per epoch off a terminal, and nothing but the table with --quiet", async () => {
    const dir = scratch();
    const logged = await tinyRun(dir, "logged");
    expect(logged.result.err).toMatch(/\[student seed 1\] train epoch 1 loss/);
    expect(logged.result.err).not.toMatch(/batches\/s/);
    const quiet = await tinyRun(dir, "quiet", ["--quiet"]);
    expect(quiet.result.code).toBe(0);
    expect(quiet.result.err).toBe("");
    expect(quiet.result.out).toContain("test ndcg@10");
  });
});

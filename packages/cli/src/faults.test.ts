// Faults in the middle of a run: a write that fails (a full disk, here a failing rename) ends in
// one line naming the file and the cause — no stack trace, no temporary left behind — and the
// run resumes once the fault is gone.
import { readdirSync, writeFileSync } from "node:fs";
import type * as fsPromises from "node:fs/promises";
import { join } from "node:path";
import { scratchFolders } from "@kdrec/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CommandIo } from "./io.js";
import { main } from "./main.js";

// Every module that imports node:fs/promises (the run's file store among them) sees this `rename`.
const fault = vi.hoisted(() => ({ failOn: undefined as RegExp | undefined, asBug: false }));
vi.mock("node:fs/promises", async (original) => {
  const actual = await original<typeof fsPromises>();
  return {
    ...actual,
    rename: async (from: string, to: string) => {
      if (fault.failOn?.test(to) && fault.asBug) throw new TypeError("cannot read properties of undefined");
      if (fault.failOn?.test(to))
        throw Object.assign(new Error(`ENOSPC: no space left on device, rename '${from}' -> '${to}'`), {
          code: "ENOSPC",
          errno: -28,
          syscall: "rename",
          path: from,
          dest: to,
        });
      return actual.rename(from, to);
    },
  };
});

const scratch = scratchFolders("kdrec-faults-");
const run = async (...argv: string[]) => {
  let err = "";
  const io: CommandIo = { out: () => undefined, err: (text) => (err += text), interactive: false };
  return { code: await main(argv, io), err };
};
const filesUnder = (dir: string) => readdirSync(dir, { recursive: true }).map(String);
const tinyConfig = (dir: string) => {
  const quick = { maxEpochs: 2, patience: 1, batchSize: 512 };
  const path = join(dir, "run.json");
  writeFileSync(
    path,
    JSON.stringify({
      dataset: { format: "synthetic", options: { seed: 2, users: 40, items: 50 } },
      teacher: { name: "teacher", dim: 8, ...quick },
      students: [{ name: "student", dim: 4, ...quick }],
    }),
  );
  return path;
};

describe("a write failing mid-run", () => {
  afterEach(() => {
    fault.failOn = undefined;
    fault.asBug = false;
    delete process.env.KDREC_DEBUG;
  });

  it("ends in one line naming the file and the cause, leaves no temporary, and --resume finishes the run", async () => {
    const dir = scratch();
    const out = join(dir, "run");
    fault.failOn = /results\.json$/;
    const failed = await run("run", tinyConfig(dir), "--out", out);
    expect(failed.code).toBe(1);
    expect(failed.err).not.toMatch(/\n\s+at /);
    const errors = failed.err.split("\n").filter((line) => line.startsWith("kdrec: error:"));
    expect(errors).toEqual([
      expect.stringMatching(
        /results\.json\.\w+\.tmp: no space left on device \(rename\); the run's checkpoints are kept: .*--resume$/,
      ),
    ]);
    expect(filesUnder(out).filter((file) => file.endsWith(".tmp"))).toEqual([]);
    expect(filesUnder(out)).not.toContain("results.json");

    fault.failOn = undefined;
    const resumed = await run("run", tinyConfig(dir), "--out", out, "--resume");
    expect(resumed.code).toBe(0);
    expect(resumed.err).not.toMatch(/train epoch/); // every model came from its checkpoint
    expect(filesUnder(out)).toContain("results.json");
  });

  it("calls anything else a bug, in one line, and prints its stack with KDREC_DEBUG=1", async () => {
    const dir = scratch();
    fault.failOn = /results\.json$/;
    fault.asBug = true;
    const failed = await run("run", tinyConfig(dir), "--out", join(dir, "run"));
    expect(failed.code).toBe(1);
    expect(failed.err).not.toMatch(/\n\s+at /);
    expect(failed.err).toContain(
      "kdrec: error: internal error: cannot read properties of undefined (a bug in kdrec: please report it; KDREC_DEBUG=1 prints its stack)",
    );
    process.env.KDREC_DEBUG = "1";
    const debugged = await run("run", tinyConfig(dir), "--out", join(dir, "run"), "--resume");
    expect(debugged.err).toMatch(/internal error: TypeError: cannot read properties of undefined\n\s+at /);
  });
});

// Every publishable kdrec package as a registry would ship it: `npm pack` (its prepack builds it),
// the tarball's files (dist, README and LICENSE; no test, no build info), publint and
// arethetypeswrong on the tarball, then the tarballs installed together into a scratch project
// that imports each package's doors in Node and bundles the browser-clean ones for a browser.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkPackage, createPackageFromTarballData } from "@arethetypeswrong/core";
import { build } from "esbuild";
import { publint } from "publint";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const published = readdirSync(join(root, "packages"))
  .map((dir) => ({
    dir: join(root, "packages", dir),
    manifest: JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")),
  }))
  .filter(({ manifest }) => manifest.private !== true);

// The library packages a web page may import (their main doors bundle without Node's modules).
const BROWSER_DOORS = [
  "@kdrec/core",
  "@kdrec/data",
  "@kdrec/metrics",
  "@kdrec/losses",
  "@kdrec/layers",
  "@kdrec/model-kit",
  "@kdrec/students",
  "@kdrec/teachers",
  "@kdrec/strategies",
  "@kdrec/heads",
  "@kdrec/online",
  "@kdrec/serving",
  "@kdrec/report",
];

const scratch = mkdtempSync(join(tmpdir(), "kdrec-packaging-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const tarballs = new Map(); // name → { file, files }

beforeAll(() => {
  const out = join(scratch, "tarballs");
  mkdirSync(out);
  for (const { dir, manifest } of published) {
    const [packed] = JSON.parse(
      execFileSync("npm", ["pack", "--json", "--pack-destination", out, "--loglevel=error"], {
        cwd: dir,
        encoding: "utf8",
      }),
    );
    tarballs.set(manifest.name, { file: join(out, packed.filename), files: packed.files.map((f) => f.path) });
  }
}, 300_000);

describe("each package's tarball", () => {
  it("holds its built doors, README and LICENSE, and no test or build-info file", () => {
    expect(published.length).toBeGreaterThanOrEqual(16);
    for (const { manifest } of published) {
      const { files } = tarballs.get(manifest.name);
      const name = manifest.name;
      expect(files, name).toEqual(
        expect.arrayContaining(["package.json", "README.md", "LICENSE", "dist/index.js", "dist/index.d.ts"]),
      );
      expect(
        files.filter((f) => /\.test\.|\.tsbuildinfo$/.test(f)),
        name,
      ).toEqual([]);
      for (const door of Object.values(manifest.exports ?? {}))
        expect(files, `${name}: ${door.default}`).toContain(door.default.replace(/^\.\//, ""));
    }
  });

  it("passes publint and arethetypeswrong (ESM-only packages: the node16-ESM and bundler resolutions)", async () => {
    const problems = [];
    for (const { manifest } of published) {
      const { file } = tarballs.get(manifest.name);
      const lint = await publint({ level: "warning", pack: { tarball: readFileSync(file).buffer } });
      for (const message of lint.messages)
        problems.push(`${manifest.name}: publint ${message.type} ${message.code} ${JSON.stringify(message.args)}`);
      const types = await checkPackage(await createPackageFromTarballData(new Uint8Array(readFileSync(file))));
      for (const problem of types.types === false ? [] : types.problems)
        if (
          !("resolutionKind" in problem) ||
          (problem.resolutionKind !== "node10" && problem.resolutionKind !== "node16-cjs")
        )
          problems.push(
            `${manifest.name}: arethetypeswrong ${problem.kind} ${problem.entrypoint ?? ""} ${problem.resolutionKind ?? ""}`,
          );
    }
    expect(problems).toEqual([]);
  }, 120_000);
});

describe("the tarballs installed together into a scratch project", () => {
  const project = join(scratch, "app");
  beforeAll(() => {
    mkdirSync(project);
    const dependencies = Object.fromEntries([...tarballs].map(([name, { file }]) => [name, `file:${file}`]));
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({
        name: "scratch-app",
        private: true,
        type: "module",
        dependencies: { ...dependencies, "@tensorflow/tfjs-core": "4.22.0", "@tensorflow/tfjs-backend-cpu": "4.22.0" },
      }),
    );
    // Scripts off: tfjs-node's install would download its library (the engine set-up's job).
    execFileSync(
      "npm",
      ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
      {
        cwd: project,
        encoding: "utf8",
      },
    );
  }, 300_000);

  it("imports every door of every package in Node", () => {
    const doors = published.flatMap(({ manifest }) =>
      Object.keys(manifest.exports ?? { ".": null }).map((key) =>
        key === "." ? manifest.name : `${manifest.name}/${key.slice(2)}`,
      ),
    );
    const script = `for (const door of ${JSON.stringify(doors)}) { const m = await import(door); if (Object.keys(m).length === 0) throw new Error(door + " exports nothing"); } process.stdout.write("imported ${doors.length}");`;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: project,
      encoding: "utf8",
    });
    expect(output.trim()).toBe(`imported ${doors.length}`);
  }, 120_000);

  it("bundles the library packages' main doors for a browser (no Node module reached)", async () => {
    const entry = join(project, "page.js");
    writeFileSync(
      entry,
      BROWSER_DOORS.map((name, k) => `import * as p${k} from "${name}";\nconsole.log(Object.keys(p${k}).length);`).join(
        "\n",
      ),
    );
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      absWorkingDir: project,
      logLevel: "silent",
      // The engine picks tfjs-node only in Node, by a dynamic import a page never takes.
      external: ["@tensorflow/tfjs-node"],
    });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0].text.length).toBeGreaterThan(10_000);
  }, 120_000);
});

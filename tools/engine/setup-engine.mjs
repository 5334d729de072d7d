#!/usr/bin/env node
// Makes `require('@tensorflow/tfjs-node')` load on this machine, with or without internet.
//
// 1. If the native addon already loads and computes, do nothing.
// 2. Else let tfjs-node's own install run: it downloads libtensorflow where the internet is
//    reachable (and, when a library is already in deps/, only rebuilds the addon).
// 3. Else provision the TensorFlow C library from a TensorFlow wheel (KDREC_TF_WHEEL, else
//    `pip download tensorflow-cpu==2.21.0`), cache it unpacked outside the repository, lay it out
//    as tfjs-node's deps/ expects and build the addon from source.
//
// Each step ends with a probe in a child process (load, matmul, gather gradient, topk), so a
// half-built addon is never reported as working; a failed provisioning removes the addon it built.
// Nothing downloaded is trusted unchecked: the wheel's SHA-256 must be pinned in pins.json (or
// vouched for with KDREC_TF_WHEEL_SHA256), the unpacked library gets a manifest of its files'
// hashes, and a cached library is checked against it (and the pins) before use — a mismatch
// removes the cache, says so, and unpacks again.
// Environment: KDREC_TF_WHEEL, KDREC_TF_WHEEL_SHA256, KDREC_CACHE_DIR, KDREC_TF_VERSION,
// KDREC_ENGINE_NO_DOWNLOAD=1.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkLibrary, checkWheel, libraryManifest, MANIFEST, readPins } from "./verify.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../..");
const tfVersion = process.env.KDREC_TF_VERSION ?? "2.21.0";
// tfjs-node's install.js only skips its download when this exact file exists in deps/lib.
const PINNED_LIB_NAME = "libtensorflow.so.2.9.1";

const log = (msg) => console.log(`[kdrec setup-engine] ${msg}`);

class SetupError extends Error {}
const fail = (what, howToFix) => {
  throw new SetupError(`${what}\n  fix: ${howToFix}`);
};

function tfjsNodeDir() {
  try {
    return dirname(createRequire(join(repoRoot, "package.json")).resolve("@tensorflow/tfjs-node/package.json"));
  } catch {
    return fail(
      "@tensorflow/tfjs-node is not installed in node_modules",
      "run `npm ci` at the repository root first (tools/setup.sh does)",
    );
  }
}

/** Loads tfjs-node in a fresh process and runs the ops kdrec relies on; never crashes this process. */
function probe() {
  const script = `
    const tf = require('@tensorflow/tfjs-node');
    if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend());
    const a = tf.randomNormal([64, 64]);
    const table = tf.variable(tf.randomNormal([10, 4]));
    const grad = tf.grad((t) => tf.gather(t, tf.tensor1d([1, 2, 2], 'int32')).sum())(table);
    const top = tf.topk(tf.matMul(a, a), 3);
    if (grad.sum().dataSync()[0] !== 12 || top.indices.shape[1] !== 3) throw new Error('wrong results');
    process.stdout.write(tf.version['tfjs-node']);
  `;
  const run = spawnSync(process.execPath, ["-e", script], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" },
  });
  if (run.status === 0) return { ok: true, version: run.stdout };
  return {
    ok: false,
    reason: firstErrorLine(run.stderr ?? run.error?.message ?? "") ?? `exit ${run.status ?? run.signal}`,
  };
}

/** The line of a child's output that says what went wrong (Node prints the source line first). */
function firstErrorLine(output) {
  const lines = output.split("\n").map((l) => l.trim());
  return lines.find((l) => /^[A-Za-z]*Error: |E(NOTFOUND|CONNREFUSED|TIMEDOUT|AI_AGAIN)\b/.test(l));
}

/** The environment npm gives install scripts: its node-gyp, Node's own headers, the package's bins. */
function buildEnv(pkgDir) {
  const env = { ...process.env };
  const bins = [join(pkgDir, "node_modules/.bin"), join(repoRoot, "node_modules/.bin")];
  env.PATH = [...bins, env.PATH].join(":");
  if (!env.npm_config_nodedir) {
    const nodeDir = resolve(dirname(process.execPath), "..");
    // Without a nodedir, node-gyp tries to download Node's headers, which fails offline.
    if (existsSync(join(nodeDir, "include/node/node_api.h"))) env.npm_config_nodedir = nodeDir;
  }
  if (!env.npm_config_node_gyp) {
    const npmGyp = locateNpmNodeGyp();
    if (npmGyp) env.npm_config_node_gyp = npmGyp;
  }
  return env;
}

function locateNpmNodeGyp() {
  const which = spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" });
  if (which.status !== 0) return undefined;
  const candidate = resolve(dirname(realpathSync(which.stdout.trim())), "../node_modules/node-gyp/bin/node-gyp.js");
  return existsSync(candidate) ? candidate : undefined;
}

function runTfjsInstall(pkgDir, timeoutMs) {
  const run = spawnSync(process.execPath, ["scripts/install.js"], {
    cwd: pkgDir,
    env: buildEnv(pkgDir),
    encoding: "utf8",
    timeout: timeoutMs,
  });
  return { ok: run.status === 0, output: `${run.stdout ?? ""}${run.stderr ?? ""}`.trim() };
}

function removeAddon(pkgDir) {
  rmSync(join(pkgDir, "lib"), { recursive: true, force: true });
  rmSync(join(pkgDir, "build"), { recursive: true, force: true });
}

function requireTool(cmd, args, what, howToFix) {
  const run = spawnSync(cmd, args, { encoding: "utf8" });
  if (run.error || run.status !== 0) fail(`no ${what} (\`${cmd} ${args.join(" ")}\` failed)`, howToFix);
}

function cacheDir() {
  return process.env.KDREC_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "kdrec");
}

/** Returns the directory holding lib/ and include/, unpacking (and downloading) only when not cached. */
function unpackedLibrary() {
  const wheelFromEnv = process.env.KDREC_TF_WHEEL;
  const key = wheelFromEnv ? basename(wheelFromEnv, ".whl") : `tensorflow_cpu-${tfVersion}`;
  const target = join(cacheDir(), "libtensorflow", key);
  const pins = readPins();
  if (existsSync(target)) {
    const cached = checkLibrary(target, tfVersion, pins);
    if (cached.ok) {
      log(`using the cached TensorFlow C library in ${target} (its files match their hashes)`);
      return target;
    }
    log(`the cached TensorFlow C library in ${target} fails its check (${cached.problem}): removing it`);
    rmSync(target, { recursive: true, force: true });
  }
  requireTool(
    "python3",
    ["--version"],
    "python3",
    "install Python 3 (apt-get install python3); it unpacks the wheel and node-gyp needs it",
  );

  let wheel = wheelFromEnv;
  let downloaded = false;
  if (wheel) {
    if (!existsSync(wheel))
      fail(
        `KDREC_TF_WHEEL=${wheel} does not exist`,
        "point KDREC_TF_WHEEL at a TensorFlow 2.x CPU wheel (.whl) for linux x86_64",
      );
  } else {
    requireTool(
      "python3",
      ["-m", "pip", "--version"],
      "pip",
      `install pip (apt-get install python3-pip), or download tensorflow-cpu==${tfVersion} yourself and set KDREC_TF_WHEEL=/path/to/the.whl`,
    );
    const wheelDir = join(cacheDir(), "wheels");
    mkdirSync(wheelDir, { recursive: true });
    log(`downloading tensorflow-cpu==${tfVersion} with pip (about 270 MB) into ${wheelDir}`);
    const pip = spawnSync(
      "python3",
      [
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--retries",
        "2",
        "-d",
        wheelDir,
        `tensorflow-cpu==${tfVersion}`,
      ],
      { stdio: ["ignore", "inherit", "inherit"] },
    );
    const found = readdirSync(wheelDir).find((f) => f.startsWith(`tensorflow_cpu-${tfVersion}-`) && f.endsWith(".whl"));
    if (pip.status !== 0 || !found)
      fail(
        `pip could not download tensorflow-cpu==${tfVersion}`,
        "make a Python package index with it reachable, or set KDREC_TF_WHEEL=/path/to/tensorflow_cpu-*.whl",
      );
    wheel = join(wheelDir, found);
    downloaded = true;
  }
  const checked = checkWheel(wheel, tfVersion, pins, process.env.KDREC_TF_WHEEL_SHA256);
  if (!checked.ok) {
    if (downloaded) rmSync(wheel, { force: true });
    fail(checked.problem, checked.fix);
  }
  log(
    `${basename(wheel)}: SHA-256 ${checked.sha256} (${checked.pinned ? "pinned" : "vouched for by KDREC_TF_WHEEL_SHA256"})`,
  );

  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  log(`unpacking the C library and headers from ${basename(wheel)}`);
  const unpack = spawnSync("python3", [join(here, "extract_tf_wheel.py"), wheel, partial], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (unpack.status !== 0) {
    rmSync(partial, { recursive: true, force: true });
    fail(
      `could not unpack ${wheel}`,
      "check that it is a complete TensorFlow 2.x CPU wheel for linux x86_64 (re-download it)",
    );
  }
  // The manifest is written last: an unpack without one is incomplete and never used.
  const manifest = libraryManifest(partial, { name: basename(wheel), sha256: checked.sha256, pinned: checked.pinned });
  writeFileSync(join(partial, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  const fresh = checkLibrary(partial, tfVersion, pins);
  if (!fresh.ok) {
    rmSync(partial, { recursive: true, force: true });
    fail(
      `the library unpacked from ${basename(wheel)} is not the pinned one: ${fresh.problem}`,
      "re-download the wheel",
    );
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(partial, target);
  if (downloaded) rmSync(wheel, { force: true }); // the unpacked copy is what we keep
  return target;
}

/** Lays out deps/ as tfjs-node's binding.gyp expects: -ltensorflow -ltensorflow_framework, include/. */
function layOutDeps(pkgDir, library) {
  const deps = join(pkgDir, "deps");
  const partial = `${deps}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(join(partial, "lib"), { recursive: true });
  for (const lib of ["libtensorflow_cc.so.2", "libtensorflow_framework.so.2"]) {
    const from = join(library, "lib", lib);
    const to = join(partial, "lib", lib);
    try {
      linkSync(from, to); // same file system: instant and no extra space
    } catch {
      copyFileSync(from, to);
    }
  }
  // The addon records the SONAMEs (libtensorflow_cc.so.2, libtensorflow_framework.so.2) and finds
  // them through its rpath $ORIGIN/../../deps/lib; these names only serve the linker and install.js.
  symlinkSync("libtensorflow_cc.so.2", join(partial, "lib", "libtensorflow.so"));
  symlinkSync("libtensorflow_framework.so.2", join(partial, "lib", "libtensorflow_framework.so"));
  symlinkSync("libtensorflow_cc.so.2", join(partial, "lib", PINNED_LIB_NAME));
  cpSync(join(library, "include"), join(partial, "include"), { recursive: true });
  rmSync(deps, { recursive: true, force: true });
  renameSync(partial, deps);
}

function main() {
  const started = Date.now();
  const pkgDir = tfjsNodeDir();
  const first = probe();
  if (first.ok) {
    log(`@tensorflow/tfjs-node loads (backend tensorflow) — nothing to do (${Date.now() - started} ms)`);
    return;
  }
  log(`@tensorflow/tfjs-node does not load yet: ${first.reason}`);

  if (process.env.KDREC_ENGINE_NO_DOWNLOAD !== "1") {
    log("running tfjs-node's own install (downloads libtensorflow where the internet is reachable)");
    const own = runTfjsInstall(pkgDir, 15 * 60_000);
    if (own.ok && probe().ok) {
      log(`tfjs-node's own install worked (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return;
    }
    log(`tfjs-node's own install did not work: ${firstErrorLine(own.output) ?? "it did not produce a working addon"}`);
  }

  log("provisioning the TensorFlow C library from a TensorFlow wheel");
  requireTool(
    "g++",
    ["--version"],
    "C++ compiler",
    "install one (apt-get install g++ make) — node-gyp builds the addon from source",
  );
  requireTool("make", ["--version"], "make", "install it (apt-get install make)");
  const library = unpackedLibrary();
  removeAddon(pkgDir);
  layOutDeps(pkgDir, library);
  log("building the tfjs-node addon from source (about 20 s)");
  const build = runTfjsInstall(pkgDir, 10 * 60_000);
  const check = build.ok ? probe() : { ok: false, reason: build.output.split("\n").slice(-5).join("\n") };
  if (!check.ok) {
    removeAddon(pkgDir);
    fail(
      `the tfjs-node addon did not build or load against ${library}: ${check.reason}`,
      `see the output above; delete ${library} to unpack it again`,
    );
  }
  log(
    `@tensorflow/tfjs-node ready on the TensorFlow C library in ${library} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
}

try {
  main();
} catch (error) {
  if (!(error instanceof SetupError)) throw error;
  console.error(`[kdrec setup-engine] error: ${error.message}`);
  process.exit(1);
}

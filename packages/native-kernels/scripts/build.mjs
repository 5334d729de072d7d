#!/usr/bin/env node
// Builds kdrec's native TensorFlow kernels (native/kdrec_kernels.c) into build/kdrec_kernels.node,
// against the TensorFlow library and C headers of the installed @tensorflow/tfjs-node and Node's
// own Node-API headers; no download, about a second. Run by `npm run setup` after the engine
// (tools/engine/setup-engine.mjs); run it yourself after installing the package from a registry.
// Does nothing when the addon is newer than its source. Exit 1 with the compiler's message and
// the fix when it cannot build; TensorFlow.js then counts and selects with its own ops (slower).
// Environment: CC (default cc), KDREC_NATIVE_KERNELS_FORCE=1 (rebuild).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const sources = ["kdrec_kernels.c", "list_batches.c", "bpr_batches.c", "batch_steps.h", "arena_kernels.h"].map((file) =>
  join(packageDir, "native", file),
);
const target = join(packageDir, "build", "kdrec_kernels.node");
const say = (message) => console.log(`[kdrec native-kernels] ${message}`);
const fail = (what, fix) => {
  console.error(`[kdrec native-kernels] ${what}\n  fix: ${fix}`);
  process.exit(1);
};

const tfjsNode = (() => {
  try {
    return dirname(createRequire(join(packageDir, "package.json")).resolve("@tensorflow/tfjs-node/package.json"));
  } catch {
    return fail("@tensorflow/tfjs-node is not installed", "install it (npm run setup in the kdrec repository)");
  }
})();
const tfInclude = join(tfjsNode, "deps", "include");
const tfLib = join(tfjsNode, "deps", "lib");
if (
  !existsSync(join(tfInclude, "tensorflow/c/tf_tensor.h")) ||
  !existsSync(join(tfLib, "libtensorflow_framework.so.2"))
)
  fail(`no TensorFlow C library under ${join(tfjsNode, "deps")}`, "provision the engine first: npm run setup");

const nodeInclude = [
  process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, "include", "node"),
  resolve(dirname(process.execPath), "..", "include", "node"),
  "/usr/include/node",
].find((dir) => dir && existsSync(join(dir, "node_api.h")));
if (nodeInclude === undefined)
  fail(
    "Node's headers (node_api.h) are not installed",
    "install them (Debian: apt-get install libnode-dev) or set npm_config_nodedir",
  );

const newer = (a, b) => statSync(a).mtimeMs > statSync(b).mtimeMs;
if (
  process.env.KDREC_NATIVE_KERNELS_FORCE !== "1" &&
  existsSync(target) &&
  sources.every((source) => newer(target, source)) &&
  newer(target, fileURLToPath(import.meta.url))
) {
  say(`up to date: ${target}`);
  process.exit(0);
}

mkdirSync(dirname(target), { recursive: true });
const partial = `${target}.partial`;
const compiler = process.env.CC ?? "cc";
const args = [
  "-O3",
  "-std=c11",
  "-Wall",
  "-Werror",
  // The list kernel reads the arena's bytes as the WebAssembly kernel does, under several types.
  "-fno-strict-aliasing",
  // sqrtf need not set errno (it is never given a negative number): one instruction, vectorised.
  "-fno-math-errno",
  "-shared",
  "-fPIC",
  "-fvisibility=hidden",
  `-I${nodeInclude}`,
  `-I${tfInclude}`,
  ...sources.filter((source) => source.endsWith(".c")),
  `-L${tfLib}`,
  "-l:libtensorflow_framework.so.2",
  // Found beside tfjs-node's own addon, which has already loaded that same file.
  `-Wl,-rpath,${tfLib}`,
  "-o",
  partial,
];
const run = spawnSync(compiler, args, { encoding: "utf8" });
if (run.error !== undefined || run.status !== 0) {
  rmSync(partial, { force: true });
  fail(
    `${compiler} could not build the kernels: ${(run.error?.message ?? `${run.stdout}${run.stderr}`).trim()}`,
    "install a C compiler (apt-get install gcc) or set CC",
  );
}
renameSync(partial, target);
say(`built ${target}`);

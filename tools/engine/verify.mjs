// What setup-engine.mjs trusts, checked: the TensorFlow wheel's SHA-256 against pins.json (or a
// hash the user vouches for), and the unpacked C library against the manifest written when it was
// unpacked (and against the pins, for a pinned wheel). Pure file reads; no network.
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The name of the manifest an unpacked library carries (written last, so it marks completeness). */
export const MANIFEST = ".kdrec-manifest.json";

/** The pins shipped with kdrec: `{ [tensorflow version]: { wheels: {file: sha256}, library: {path: sha256} } }`. */
export const readPins = (path = fileURLToPath(new URL("./pins.json", import.meta.url))) =>
  JSON.parse(readFileSync(path, "utf8"));

/** The SHA-256 of a file, read in 16 MB chunks (the library is ~800 MB). */
export const sha256File = (path) => {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(16 << 20);
  const fd = openSync(path, "r");
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
};

/**
 * Checks a wheel: its hash must be pinned for `version`, or equal `vouched` (KDREC_TF_WHEEL_SHA256,
 * for a wheel kdrec does not pin). Returns `{ ok: true, sha256, pinned }` or `{ ok: false, sha256, problem, fix }`.
 */
export const checkWheel = (wheel, version, pins, vouched) => {
  const sha256 = sha256File(wheel);
  const pinned = Object.values(pins[version]?.wheels ?? {});
  if (pinned.includes(sha256)) return { ok: true, sha256, pinned: true };
  if (vouched !== undefined && vouched !== "") {
    return vouched.toLowerCase() === sha256
      ? { ok: true, sha256, pinned: false }
      : {
          ok: false,
          sha256,
          problem: `${wheel} has SHA-256 ${sha256}, not the ${vouched} that KDREC_TF_WHEEL_SHA256 names`,
          fix: "download the wheel again, or correct KDREC_TF_WHEEL_SHA256",
        };
  }
  return {
    ok: false,
    sha256,
    problem:
      pinned.length === 0
        ? `${wheel} (SHA-256 ${sha256}): kdrec pins no wheel of tensorflow-cpu ${version}`
        : `${wheel} has SHA-256 ${sha256}, which is none of the ${pinned.length} pinned for tensorflow-cpu ${version} (tools/engine/pins.json)`,
    fix: `use a pinned wheel; if you trust this one, set KDREC_TF_WHEEL_SHA256=${sha256}`,
  };
};

/** Every regular file under `dir` (relative paths, sorted), skipping the manifest. */
const filesUnder = (dir) => {
  const out = [];
  const walk = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name !== MANIFEST) out.push(relative(dir, path));
      else if (!entry.isFile()) throw new Error(`${path}: not a regular file`);
    }
  };
  walk(dir);
  return out.sort();
};

/** `{ path: sha256 }` of every file of an unpacked library (lib/ and include/). */
export const hashTree = (dir) => Object.fromEntries(filesUnder(dir).map((file) => [file, sha256File(join(dir, file))]));

/**
 * Checks an unpacked library against its manifest and, when its wheel is pinned, against the
 * pinned library hashes. Returns `{ ok: true }` or `{ ok: false, problem }`; a missing or
 * unreadable manifest is a problem (a cache from before manifests, or an interrupted unpack).
 */
export const checkLibrary = (dir, version, pins) => {
  const manifestPath = join(dir, MANIFEST);
  if (!existsSync(manifestPath)) return { ok: false, problem: "it has no manifest of its files' hashes" };
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  } catch {
    return { ok: false, problem: "its manifest is not valid JSON" };
  }
  let actual;
  try {
    actual = hashTree(dir);
  } catch (error) {
    return { ok: false, problem: error.message };
  }
  const expected = manifest.files ?? {};
  const problems = [
    ...Object.keys(expected)
      .filter((file) => actual[file] !== expected[file])
      .map((file) => (actual[file] === undefined ? `${file} is missing` : `${file} changed`)),
    ...Object.keys(actual)
      .filter((file) => expected[file] === undefined)
      .map((file) => `${file} is not in the manifest`),
  ];
  const pinnedLibrary = manifest.wheelPinned === true ? (pins[version]?.library ?? {}) : {};
  for (const [file, sha256] of Object.entries(pinnedLibrary))
    if (actual[file] !== sha256) problems.push(`${file} differs from the pinned library`);
  return problems.length === 0 ? { ok: true } : { ok: false, problem: problems.slice(0, 3).join("; ") };
};

/** The manifest of a freshly unpacked library. */
export const libraryManifest = (dir, wheel) => ({
  wheel: wheel.name,
  wheelSha256: wheel.sha256,
  wheelPinned: wheel.pinned,
  files: hashTree(dir),
});

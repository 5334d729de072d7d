// The engine set-up's trust checks on real files: a wheel is accepted only by a pinned (or
// vouched-for) SHA-256, and a cached library only while its files match their manifest.
import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkLibrary, checkWheel, libraryManifest, MANIFEST, readPins, sha256File } from "./verify.mjs";

const root = mkdtempSync(join(tmpdir(), "kdrec-engine-verify-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let made = 0;
const folder = () => {
  const dir = join(root, String(made++));
  mkdirSync(dir, { recursive: true });
  return dir;
};
const sha = (text) => createHash("sha256").update(text).digest("hex");

/** A small stand-in for an unpacked library: lib/ and include/ files, and its manifest. */
const unpacked = (wheel) => {
  const dir = folder();
  mkdirSync(join(dir, "lib"));
  mkdirSync(join(dir, "include", "tensorflow", "c"), { recursive: true });
  writeFileSync(join(dir, "lib", "libtensorflow_cc.so.2"), "the library");
  writeFileSync(join(dir, "include", "tensorflow", "c", "c_api.h"), "/* the header */");
  writeFileSync(join(dir, MANIFEST), JSON.stringify(libraryManifest(dir, wheel)));
  return dir;
};

describe("checkWheel", () => {
  const wheel = join(folder(), "tensorflow_cpu-9.9.9-cp311-cp311-linux_x86_64.whl");
  writeFileSync(wheel, "wheel bytes");
  const pins = { "9.9.9": { wheels: { [wheel]: sha("wheel bytes") }, library: {} } };

  it("hashes files as sha256sum does", () => {
    expect(sha256File(wheel)).toBe(sha("wheel bytes"));
  });

  it("accepts a wheel whose hash is pinned for the version, and only for that version", () => {
    expect(checkWheel(wheel, "9.9.9", pins)).toMatchObject({ ok: true, pinned: true });
    const other = checkWheel(wheel, "1.0.0", pins);
    expect(other).toMatchObject({ ok: false });
    expect(other.problem).toContain("kdrec pins no wheel of tensorflow-cpu 1.0.0");
    expect(other.fix).toBe(
      `use a pinned wheel; if you trust this one, set KDREC_TF_WHEEL_SHA256=${sha("wheel bytes")}`,
    );
  });

  it("refuses a tampered wheel, naming its hash, unless the user vouches for exactly that hash", () => {
    const tampered = join(folder(), "tensorflow_cpu-9.9.9-cp311-cp311-linux_x86_64.whl");
    writeFileSync(tampered, "wheel bytes, tampered");
    const refused = checkWheel(tampered, "9.9.9", pins);
    expect(refused.ok).toBe(false);
    expect(refused.problem).toContain(`SHA-256 ${sha("wheel bytes, tampered")}, which is none of the 1 pinned`);
    expect(checkWheel(tampered, "9.9.9", pins, sha("wheel bytes, tampered").toUpperCase())).toMatchObject({
      ok: true,
      pinned: false,
    });
    expect(checkWheel(tampered, "9.9.9", pins, sha("something else")).problem).toContain(
      `not the ${sha("something else")}`,
    );
  });

  it("pins the wheel the README's set-up downloads, and its library's every file", () => {
    const shipped = readPins()["2.21.0"];
    expect(Object.keys(shipped.wheels)).toContain("tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl");
    expect(Object.keys(shipped.library)).toEqual(
      expect.arrayContaining([
        "lib/libtensorflow_cc.so.2",
        "lib/libtensorflow_framework.so.2",
        "include/tensorflow/c/c_api.h",
      ]),
    );
    for (const hash of [...Object.values(shipped.wheels), ...Object.values(shipped.library)])
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("checkLibrary", () => {
  const wheel = { name: "w.whl", sha256: sha("w"), pinned: false };

  it("accepts a library whose files match its manifest", () => {
    expect(checkLibrary(unpacked(wheel), "9.9.9", {})).toEqual({ ok: true });
  });

  it("finds a changed, a missing and an added file", () => {
    const changed = unpacked(wheel);
    appendFileSync(join(changed, "lib", "libtensorflow_cc.so.2"), "!");
    expect(checkLibrary(changed, "9.9.9", {}).problem).toBe("lib/libtensorflow_cc.so.2 changed");
    const missing = unpacked(wheel);
    rmSync(join(missing, "include", "tensorflow", "c", "c_api.h"));
    expect(checkLibrary(missing, "9.9.9", {}).problem).toBe("include/tensorflow/c/c_api.h is missing");
    const added = unpacked(wheel);
    writeFileSync(join(added, "lib", "libextra.so"), "x");
    expect(checkLibrary(added, "9.9.9", {}).problem).toBe("lib/libextra.so is not in the manifest");
  });

  it("refuses a cache without a manifest (an interrupted unpack, or one from before manifests)", () => {
    const dir = unpacked(wheel);
    rmSync(join(dir, MANIFEST));
    writeFileSync(join(dir, ".complete"), "w.whl\n");
    expect(checkLibrary(dir, "9.9.9", {})).toEqual({ ok: false, problem: "it has no manifest of its files' hashes" });
  });

  it("holds a pinned wheel's library to the pins, even when its manifest was rewritten to match", () => {
    const pins = { "9.9.9": { wheels: {}, library: { "lib/libtensorflow_cc.so.2": sha("the library") } } };
    const dir = unpacked({ ...wheel, pinned: true });
    expect(checkLibrary(dir, "9.9.9", pins)).toEqual({ ok: true });
    writeFileSync(join(dir, "lib", "libtensorflow_cc.so.2"), "a trojan");
    writeFileSync(join(dir, MANIFEST), JSON.stringify(libraryManifest(dir, { ...wheel, pinned: true })));
    expect(checkLibrary(dir, "9.9.9", pins).problem).toBe("lib/libtensorflow_cc.so.2 differs from the pinned library");
  });
});

/**
 * Where bundles are read from: a URL (fetch: a browser, or Node 18+) or a folder (Node). The
 * folder reader loads `node:fs` only when it is used, through a specifier a bundler leaves alone,
 * so this module bundles for a browser.
 * @module
 */
import { kdrecError } from "@kdrec/core";
import * as E from "fp-ts/lib/Either.js";
import { type BundleSource, fileIn } from "./bundle.js";

/**
 * A bundle served over HTTP(S) (or any URL `fetch` reads): files are fetched relative to `base`.
 * @example
 * ```ts
 * const source = urlSource("https://example.com/models/tower11/");
 * ```
 * @category Bundle
 */
export const urlSource = (base: string | URL, fetchFile: typeof fetch = fetch): BundleSource => {
  const root = new URL(String(base).endsWith("/") ? String(base) : `${String(base)}/`, globalThis.location?.href);
  return {
    location: root.href,
    read: async (name) => {
      const url = new URL(name, root);
      try {
        const response = await fetchFile(url);
        if (!response.ok) return E.left(kdrecError("IO", `HTTP ${response.status}`, url.href));
        return E.right(new Uint8Array(await response.arrayBuffer()));
      } catch (error) {
        return E.left(kdrecError("IO", (error as Error).message, url.href));
      }
    },
  };
};

// A variable, not a literal: bundlers then do not try to resolve Node's file system for a browser.
const NODE_FS = "node:fs/promises";

/**
 * A bundle in a folder (Node only).
 * @example
 * ```ts
 * const source = folderSource("runs/quick/models/mf8-soft-label-seed1");
 * ```
 * @category Bundle
 */
export const folderSource = (dir: string): BundleSource => ({
  location: dir,
  read: async (name) => {
    const path = fileIn(dir, name);
    try {
      const fs = (await import(/* @vite-ignore */ NODE_FS)) as typeof import("node:fs/promises");
      return E.right(new Uint8Array(await fs.readFile(path)));
    } catch (error) {
      const code = (error as { code?: string }).code;
      return E.left(
        code === "ENOENT"
          ? kdrecError("IO", "no such file (is this a model folder written by kdrec run?)", path)
          : kdrecError("IO", (error as Error).message, path),
      );
    }
  },
});

/**
 * The source for `location`: a URL (`http:`, `https:`, `file:`, `blob:`, or any path inside a
 * browser page) is fetched; anything else in Node is a folder.
 * @category Bundle
 */
export const bundleSource = (location: string | URL): BundleSource => {
  const text = String(location);
  const inNode = typeof process !== "undefined" && process.versions?.node !== undefined;
  return !inNode || /^(https?|file|blob|data):/.test(text) ? urlSource(location) : folderSource(text);
};

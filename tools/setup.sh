#!/usr/bin/env bash
# Sets up a clone for work: npm dependencies, the native TensorFlow engine, a build of every package.
# Idempotent and quick when nothing changed; safe to interrupt and run again.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[kdrec setup] %s\n' "$*"; }

# npm ci wipes node_modules (and the built addon with it), so it only runs when the manifests changed.
manifests=$(cat package-lock.json package.json packages/*/package.json tools/*/package.json examples/*/package.json 2>/dev/null | sha256sum | cut -c1-16)
stamp=node_modules/.kdrec-installed
if [[ -f $stamp && "$(cat "$stamp")" == "$manifests" ]]; then
  say "npm dependencies up to date"
else
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$manifests" > "$stamp"
fi

node tools/engine/setup-engine.mjs
# kdrec's own kernels for that engine (C, about a second; skipped when up to date).
node packages/native-kernels/scripts/build.mjs

# The browser tests drive Debian's chromium (no browser download); installed once, as root or via sudo.
if command -v chromium >/dev/null 2>&1 || [[ -n "${KDREC_CHROMIUM:-}" ]]; then
  say "chromium present"
else
  say "installing Debian's chromium (for the browser tests)"
  as_root=""
  [[ $(id -u) -ne 0 ]] && as_root="sudo"
  $as_root apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

say "building packages (nx, cached)"
npx nx run-many -t build --output-style=static >/dev/null || npx nx run-many -t build --output-style=static
say "ready"

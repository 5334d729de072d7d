#!/usr/bin/env bash
# `npm run bench:pytorch`: PyTorch doing the work of `npm run bench:train`, measured now on this
# machine, so that the two benches compare figures from one window (the shared reference was
# measured on another machine of this kind, on another day). Makes a virtualenv with torch from
# the local Python index (tools/bench/pytorch/.venv, once), then writes
# runs/bench/pytorch-ml-100k.json. Once the virtualenv exists, `npm run bench:train` runs
# bench_train.py --serve beside itself and measures each PyTorch figure just before its own (the
# file is then its fallback, with KDREC_TORCH_PAIRED=0).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="$here/.venv"
data="${KDREC_DATA_DIR:-$root/../shared/datasets}/ml-100k"
out="$root/runs/bench/pytorch-ml-100k.json"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch, numpy" 2>/dev/null; then
  echo "[bench:pytorch] making $venv with torch and numpy from the local Python index" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check torch numpy
fi
[ -f "$data/u.data" ] || { echo "bench:pytorch: no MovieLens-100K at $data (set KDREC_DATA_DIR)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
"$venv/bin/python" "$here/bench_train.py" "$data" > "$out.tmp"
mv "$out.tmp" "$out"
echo "[bench:pytorch] wrote $out" >&2

#!/usr/bin/env bash
# Installs what mlfactory needs on Debian (bookworm) with Node 20, then builds it. Safe to run again.
#   bash scripts/setup.sh          system libraries + npm dependencies + build
#   bash scripts/setup.sh --bench  also the Python peers the benchmarks compare against
set -euo pipefail
cd "$(dirname "$0")/.."

# libxgboost-dev: the XGBoost C API (bound with koffi); libtorch-dev: libtorch for the native torch binding;
# libopenblas0-openmp: OpenBLAS on OpenMP's pool, which the engines load in place of the pthread build
# (src/engines/native-runtime.ts). Debian's alternatives then point the system's libblas.so.3, liblapack.so.3 and
# libopenblas.so.0 at the installed build of highest priority: this one on a fresh machine (over the reference BLAS
# too), the pthread build where that is installed (the benchmark peers bring it); a choice made by hand is kept.
# This script says below what it changed; the engines and the tests work with either build behind those links.
# redis-server: the queue of distributed sweeps (mlf sweep --queue, mlf worker); its tests start their own on loopback.
# chromium: the headless browser the tests of mlf ui drive (test/ui/browser.test.ts, through puppeteer-core).
packages=(libxgboost-dev libtorch-dev libopenblas0-openmp g++ make python3 redis-server chromium)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-pandas python3-sklearn python3-xgboost python3-torch)
  packages+=(python3-statsmodels)            # bench/msw: MarkovRegression
  packages+=(python3-fastapi python3-uvicorn) # bench/serve: the HTTP serving peer
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Where the system's BLAS links point (the files they resolve to), to report what installing changed.
blas_links() {
  local dir
  dir="/usr/lib/$(uname -m)-linux-gnu"
  for l in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
    echo "$l -> $(readlink -f "$dir/$l" 2>/dev/null || true)"
  done
}

if ((${#missing[@]} > 0)); then
  sudo=""
  [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
  before=$(blas_links)
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  after=$(blas_links)
  if [[ "$before" != "$after" ]]; then
    echo "setup: the system's BLAS links now point at (update-alternatives --config libblas.so.3-* to change):"
    # diff exits 1 when the lists differ, which pipefail would turn into this script's failure.
    { diff <(echo "$before") <(echo "$after") || true; } | sed -n 's/^> /  /p'
  fi
fi

# onnxruntime-node must not try to download GPU binaries (no network here); its CPU binaries ship in the package.
export npm_config_onnxruntime_node_install=skip
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
npm run build:native --if-present --silent

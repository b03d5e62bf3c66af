#!/usr/bin/env bash
# Installs what mlfactory needs on Debian (bookworm) with Node 20, then builds it. Safe to run again.
#   bash scripts/setup.sh          system libraries + npm dependencies + build
#   bash scripts/setup.sh --bench  also the Python peers the benchmarks compare against
set -euo pipefail
cd "$(dirname "$0")/.."

# libxgboost-dev: the XGBoost C API (bound with koffi); libtorch-dev: libtorch for the native torch binding;
# libopenblas0-openmp: OpenBLAS on OpenMP's pool, which the engines load in place of the pthread build
# (src/engines/native-runtime.ts); the system's default BLAS stays as it is.
packages=(libxgboost-dev libtorch-dev libopenblas0-openmp g++ make python3)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-pandas python3-sklearn python3-xgboost python3-torch)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  sudo=""
  [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# onnxruntime-node must not try to download GPU binaries (no network here); its CPU binaries ship in the package.
export npm_config_onnxruntime_node_install=skip
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
npm run build:native --if-present --silent

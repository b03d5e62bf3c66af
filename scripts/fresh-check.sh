#!/usr/bin/env bash
# Runs the README's two commands as a fresh machine would, as far as one can reproduce that here:
#   - in a fresh clone of the committed HEAD, in a temporary folder with no ../shared beside it;
#   - with CI=true (no progress bars, as in CI);
#   - once per OpenBLAS build, with the system's BLAS alternatives (libblas.so.3, liblapack.so.3, libopenblas.so.0)
#     pointing at it: the OpenMP build (what a fresh machine gets from setup.sh) and the pthread build (what a
#     machine with other BLAS users, such as the benchmark peers, has).
#   - optionally (--with-bench) once more after `setup.sh --bench` (the benchmark peers and their BLAS installed),
#     with the alternatives in Debian's automatic mode.
# The alternatives are put back as they were when it ends. Needs root (apt-get, update-alternatives), like setup.sh.
#
#   bash scripts/fresh-check.sh                   both builds (installs libopenblas0-pthread if it is missing)
#   bash scripts/fresh-check.sh --blas openmp     one build
#   bash scripts/fresh-check.sh --with-bench      both builds, then after setup.sh --bench (installs the peers)
#   bash scripts/fresh-check.sh --keep            keep the clone and the logs
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
builds=(openmp pthread)
keep=0
while (($# > 0)); do
  case "$1" in
    --blas) IFS=, read -r -a builds <<<"$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --with-bench) builds+=(bench); shift ;;
    *) echo "fresh-check: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

triplet="$(uname -m)-linux-gnu"
libs=(libblas.so.3 liblapack.so.3 libopenblas.so.0)
sudo=""
[[ "$(id -u)" -ne 0 ]] && sudo="sudo"

# The alternatives as found: "name mode value" per line, restored on exit.
saved=""
for l in "${libs[@]}"; do
  q=$(update-alternatives --query "$l-$triplet" 2>/dev/null || true)
  [[ -n "$q" ]] && saved+="$l-$triplet $(sed -n 's/^Status: //p' <<<"$q") $(sed -n 's/^Value: //p' <<<"$q")"$'\n'
done
tmp=$(mktemp -d)
restore() {
  while read -r name mode value; do
    [[ -z "$name" ]] && continue
    if [[ "$mode" == auto ]]; then $sudo update-alternatives --quiet --auto "$name"
    else $sudo update-alternatives --quiet --set "$name" "$value"; fi
  done <<<"$saved"
  if ((keep)); then echo "fresh-check: kept $tmp"; else rm -rf "$tmp"; fi
}
trap restore EXIT

git clone -q "$repo" "$tmp/main"
echo "fresh-check: clone of $(git -C "$repo" rev-parse --short HEAD) in $tmp/main (no ../shared beside it)"

summaries=()
status=0
for b in "${builds[@]}"; do
  setup=(bash scripts/setup.sh)
  if [[ "$b" == bench ]]; then
    # What a developer's machine has: the peers installed by setup itself, Debian choosing among the builds.
    setup+=(--bench)
    (cd "$tmp/main" && CI=true "${setup[@]}") >"$tmp/bench-setup.log" 2>&1
    for l in "${libs[@]}"; do $sudo update-alternatives --quiet --auto "$l-$triplet"; done
    where="automatic mode ($(readlink -f "/usr/lib/$triplet/libopenblas.so.0"))"
  else
    dir="/usr/lib/$triplet/openblas-$b"
    if [[ ! -f "$dir/libopenblas.so.0" ]]; then
      echo "fresh-check: installing libopenblas0-$b"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "libopenblas0-$b" >/dev/null
    fi
    for l in "${libs[@]}"; do $sudo update-alternatives --quiet --set "$l-$triplet" "$dir/$l"; done
    where="$dir"
  fi
  echo "fresh-check: BLAS alternatives -> $where; running the README's commands (log: $tmp/$b.log)"
  rc=0
  (
    cd "$tmp/main"
    export CI=true
    "${setup[@]}" && npm start && "${setup[@]}" && npm test
  ) >"$tmp/$b.log" 2>&1 || rc=$?
  line="$b: exit $rc; $(grep -E '^# (tests|pass|fail|skipped) ' "$tmp/$b.log" | tr '\n' ' ')"
  summaries+=("$line")
  echo "fresh-check: $line"
  if ((rc != 0)); then
    status=1
    keep=1
    tail -n 40 "$tmp/$b.log"
  fi
done

echo "fresh-check: summary"
printf '  %s\n' "${summaries[@]}"
exit $status

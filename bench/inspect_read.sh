#!/usr/bin/env bash
# inspect_read.sh [FILE] [N] — events/s of reading a capture and updating the
# state (`saker inspect -C -q`: converted reader + state engine, nothing
# printed) against `sysdig -r FILE -q` (libscap + libsinsp state) on the same
# file in the same run; best of N runs each, and the ratio. Release build.
# Default FILE: the 1M-event capture in ../shared/fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:-../shared/fixtures/traces/current/workload-falco-0.44.1.scap.gz}
n=${2:-3}
[ -f "$file" ] || { echo "SKIP: $file not found"; exit 0; }
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DSAKER_BPF=OFF >/dev/null
cmake --build build-bench --target saker -j"$(nproc)" >/dev/null
saker=build-bench/saker
events=$("$saker" inspect -C -D -p '%evt.num' "$file" | wc -l)

best_of() {  # best wall time of n runs of "$@", output discarded
  local best="" t0 t1 t
  for _ in $(seq "$n"); do
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}

ours=$(best_of "$saker" inspect -C -q "$file")
printf 'saker:  inspect -C -q best_s=%.3f events=%d events_per_s=%.0f\n' \
  "$ours" "$events" "$(echo "$events / $ours" | bc -l)"
if ! command -v sysdig >/dev/null; then
  echo "SKIP: sysdig not installed, no comparison"
  exit 0
fi
theirs=$(best_of sysdig -r "$file" -q)
printf 'sysdig: sysdig -r FILE -q best_s=%.3f events_per_s=%.0f\n' \
  "$theirs" "$(echo "$events / $theirs" | bc -l)"
printf 'ratio:  saker is %.2fx as fast as sysdig -q (read + state) on %s events\n' \
  "$(echo "$theirs / $ours" | bc -l)" "$events"

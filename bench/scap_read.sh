#!/usr/bin/env bash
# scap_read.sh [FILE] [N] — times saker's .scap reader (bench/scap_read_bench)
# against `sysdig -r FILE -q` (no output; sysdig also builds its state, so it
# is an upper bound of libscap's cost) on the same file, and prints the ratio.
# Default FILE: the 1M-event capture in ../shared/fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:-../shared/fixtures/traces/current/workload-falco-0.44.1.scap.gz}
n=${2:-5}
[ -f "$file" ] || { echo "SKIP: $file not found"; exit 0; }
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DSAKER_BPF=OFF >/dev/null
cmake --build build-bench --target scap_read_bench -j"$(nproc)" >/dev/null
out=$(build-bench/bench/scap_read_bench "$file" "$n")
echo "saker:  $out"
ours=$(sed -n 's/.*best_s=\([0-9.]*\).*/\1/p' <<<"$out")
events=$(sed -n 's/.*events=\([0-9]*\) .*/\1/p' <<<"$out")
raw=$(build-bench/bench/scap_read_bench "$file" "$n" --raw)
echo "saker (raw mode): $raw"
if ! command -v sysdig >/dev/null; then
  echo "SKIP: sysdig not installed, no comparison"
  exit 0
fi
best=""
for _ in $(seq "$n"); do
  t0=$(date +%s.%N)
  sysdig -r "$file" -q >/dev/null 2>&1
  t1=$(date +%s.%N)
  t=$(echo "$t1 - $t0" | bc -l)
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
done
printf 'sysdig: sysdig -r FILE -q best_s=%.3f events_per_s=%.0f\n' "$best" "$(echo "$events / $best" | bc -l)"
printf 'ratio:  saker is %.1fx faster than sysdig -q on %s events\n' "$(echo "$best / $ours" | bc -l)" "$events"

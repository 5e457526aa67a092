#!/usr/bin/env bash
# filter_vs_sysdig.sh [CAPTURE] [FILTER] — events/s of `saker inspect` with a
# filter versus sysdig with the same filter on the same capture, and the
# ratio, in one run. Defaults: the current/ workload capture and a
# Falco-shaped condition.
set -euo pipefail
cd "$(dirname "$0")/.."
cap=${1:-../shared/fixtures/traces/current/workload-falco-0.44.1.scap.gz}
flt=${2:-'evt.type in (open, openat, execve) and fd.name pmatch (/etc, /usr/bin) and not proc.name in (cat, bash, sh)'}
events=$(build/bench/filter_bench scan "$cap" 'evt.num > 0' 2>&1 >/dev/null | awk '{print $1}')
t() { local s; s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc; }
ts=$(t build/saker inspect -p '%evt.num' "$cap" "$flt")
td=$(t sysdig -r "$cap" -p '%evt.num' "$flt")
echo "events: $events"
echo "saker inspect: ${ts}s  $(echo "$events / $ts" | bc) events/s"
echo "sysdig:        ${td}s  $(echo "$events / $td" | bc) events/s"
echo "ratio (saker/sysdig events/s): $(echo "scale=2; $td / $ts" | bc)"

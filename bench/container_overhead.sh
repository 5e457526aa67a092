#!/usr/bin/env bash
# container_overhead.sh — what the container runtime clients cost the live
# engine under container churn, in one run: saker live with the upstream
# stable rules for DUR seconds while a loop starts and removes short-lived
# podman containers, once with the container plugin's clients on and once
# off (load_plugins: []), alternating REPS times. Reports the events read
# per second and saker's CPU time per event read (user+sys), medians, and
# the on/off ratio. Needs root, kernel BTF, podman (scripts/containers/
# setup-podman.sh) and ../shared/fixtures for the rules (RULES=... else).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RULES=${RULES:-../shared/fixtures/upstream-rules/falco_rules.yaml}
DUR=${DUR:-20}
REPS=${REPS:-3}
SAKER=$BUILD/saker
[ "$(id -u)" = 0 ] || { echo "container_overhead.sh: needs root" >&2; exit 1; }
[ -x "$SAKER" ] || scripts/build.sh "$BUILD" >/dev/null
scripts/containers/setup-podman.sh >/dev/null
TMP=$(mktemp -d)
CHURN=
cleanup() {
  [ -n "$CHURN" ] && kill "$CHURN" 2>/dev/null || true
  podman ps -aq --filter label=saker-bench=churn | xargs -r podman rm -f -t 0 >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
printf 'load_plugins: []\nstdout_output:\n  enabled: false\n' >"$TMP/off.yaml"
printf 'load_plugins: [container]\nstdout_output:\n  enabled: false\n' >"$TMP/on.yaml"

churn() {
  while :; do
    podman run --rm --network none --label saker-bench=churn localhost/saker-test:1 true \
      >/dev/null 2>&1 || true
  done
}

# one run: prints "events_per_s cpu_ns_per_event containers_removed"
one() {
  local conf=$1
  /usr/bin/time -f '%U %S' -o "$TMP/time" "$SAKER" -c "$conf" -r "$RULES" \
    -o engine.kind=modern_ebpf -M "$DUR" >/dev/null 2>"$TMP/err" || true
  local read secs cpu removed
  read=$(sed -n 's/.*read \([0-9]*\),.* in \([0-9.]*\) s.*/\1/p' "$TMP/err" | tail -1)
  secs=$(sed -n 's/.*read \([0-9]*\),.* in \([0-9.]*\) s.*/\2/p' "$TMP/err" | tail -1)
  cpu=$(awk '{print $1 + $2}' "$TMP/time")
  removed=$(sed -n 's/.*state_removed=\([0-9]*\).*/\1/p' "$TMP/err" | tail -1)
  echo "$read $secs $cpu ${removed:-0}" | awk '{printf "%.0f %.1f %s\n", $1/$2, $3*1e9/$1, $4}'
}

churn & CHURN=$!
sleep 2
: >"$TMP/on.txt"; : >"$TMP/off.txt"
for i in $(seq "$REPS"); do
  one "$TMP/off.yaml" >>"$TMP/off.txt"
  one "$TMP/on.yaml" >>"$TMP/on.txt"
done
kill "$CHURN"; CHURN=
med() { sort -n -k"$2" "$1" | awk -v k="$2" '{a[NR]=$k} END {print a[int((NR+1)/2)]}'; }
off_eps=$(med "$TMP/off.txt" 1); on_eps=$(med "$TMP/on.txt" 1)
off_cpu=$(med "$TMP/off.txt" 2); on_cpu=$(med "$TMP/on.txt" 2)
removed=$(med "$TMP/on.txt" 3)
echo "container clients off: ${off_eps} events/s read, ${off_cpu} ns CPU/event"
echo "container clients on:  ${on_eps} events/s read, ${on_cpu} ns CPU/event (containers learnt and removed per run: ${removed})"
awk -v a="$on_cpu" -v b="$off_cpu" 'BEGIN {printf "CPU per event, on/off: %.3f (%+.1f%%)\n", a/b, (a/b-1)*100}'

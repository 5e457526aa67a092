#!/usr/bin/env bash
# live_ab.sh — before/after comparison of live-capture builds on one workload,
# in one run: `bench/syscall_load N` alone and under each saker binary given,
# alternating, REPS times; prints each run and the medians.
#
#   bench/live_ab.sh [-n REPS] [-N ROUNDS] BIN[@KEY=VALUE...]...
#
# A variant is a saker binary, optionally followed by `@key=value` overrides
# (`-o key=value`); `none` (always run first) is the workload alone;
# `floor:tp` (or floor:systp...) runs bench/exit_floor instead of saker: empty
# programs, the floor of any syscall-exit probe. MODE=read|open|openonly|write
# runs `syscall_load -m MODE` (one path of the probe) instead of the mix. For each
# run: wall time, the workload's CPU (user+sys, which includes the probe's
# in-kernel time), context switches and migrations (perf stat software
# counters), saker's CPU (% of one core), its voluntary context switches
# (reader wake-ups) and events sent. Why medians of alternating runs: other
# load on a shared 2-CPU machine moves single runs by 2x. Needs root, BTF and
# perf; RULES picks the rules (default: upstream stable rules).
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=5
N=200000
while getopts "n:N:" o; do
  case $o in n) REPS=$OPTARG ;; N) N=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-n REPS] [-N ROUNDS] BIN[@key=value...]..." >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "live_ab.sh: needs root" >&2; exit 1; }
command -v perf >/dev/null || { echo "live_ab.sh: needs perf" >&2; exit 1; }
RULES=${RULES:-../shared/fixtures/upstream-rules/falco_rules.yaml}
LOAD=${LOAD:-build-rel/bench/syscall_load}
FLOOR=${FLOOR:-$(dirname "$LOAD")/exit_floor}
MODEARGS=(); [ -n "${MODE:-}" ] && MODEARGS=(-m "$MODE")
[ -x "$LOAD" ] || { echo "live_ab.sh: build $LOAD first (or set LOAD)" >&2; exit 1; }
TMP=$(mktemp -d)
SPID=
cleanup() {
  [ -n "$SPID" ] && kill -INT "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
HZ=$(getconf CLK_TCK)
status() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

# sys_exit programs attached by other processes (other probes make every
# syscall of the load slower, whatever the variant: runs with others > 0
# are not comparable)
others() {
  bpftool -j link show 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for l in json.load(sys.stdin) if l.get("tp_name") == "sys_exit"))' || echo 0
}

run_one() { # variant -> one result line
  local v=$1 bin opts=() ext="" oth
  oth=$(others)
  IFS=@ read -r -a parts <<<"$v"
  bin=${parts[0]}
  for p in "${parts[@]:1}"; do opts+=(-o "$p"); done
  if [ "$bin" != none ]; then
    local ready="Live capture started"
    if [ "${bin#floor:}" != "$bin" ]; then
      "$FLOOR" "${bin#floor:}" 2>"$TMP/saker.err" &
      ready=attached
    else
      "$bin" -r "$RULES" -o engine.kind=modern_ebpf -o stdout_output.enabled=false "${opts[@]}" \
        >/dev/null 2>"$TMP/saker.err" &
    fi
    SPID=$!
    for _ in $(seq 600); do grep -q "$ready" "$TMP/saker.err" && break; sleep 0.1; done
    sleep 0.3
    local v0 t0; v0=$(status "$SPID" voluntary_ctxt_switches); t0=$(awk '{print $14 + $15}' "/proc/$SPID/stat")
  fi
  local s0 s1 out
  s0=$(date +%s.%N)
  out=$(perf stat -x, -e context-switches,cpu-migrations,task-clock "$LOAD" "${MODEARGS[@]}" "$N" 2>&1 >/dev/null)
  s1=$(date +%s.%N)
  if [ -n "$SPID" ]; then
    local v1 t1; v1=$(status "$SPID" voluntary_ctxt_switches); t1=$(awk '{print $14 + $15}' "/proc/$SPID/stat")
    kill -INT "$SPID"; wait "$SPID" || true; SPID=
    local sent; sent=$(sed -nE 's/.*sent ([0-9]+),.*/\1/p' "$TMP/saker.err"); sent=${sent:-0}
    ext=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v a="$s0" -v b="$s1" -v w=$((v1 - v0)) -v s="$sent" \
      'BEGIN{printf " agent=%.1f wakeups=%d sent=%d", 100 * t / hz / (b - a), w, s}')
  fi
  awk -F, -v v="$v" -v a="$s0" -v b="$s1" -v e="$ext" -v o="$oth" '
    /context-switches/ {cs = $1} /cpu-migrations/ {mig = $1} /task-clock/ {tc = $1}
    END {printf "v=%s wall=%.3f cpu_ms=%.0f cs=%d mig=%d others=%d%s\n", v, b - a, tc, cs, mig, o, e}' <<<"$out"
}

for r in $(seq "$REPS"); do
  for v in none "$@"; do
    echo "run=$r $(run_one "$v")" | tee -a "$TMP/all"
  done
done
echo "== medians of $REPS (change against none)"
python3 - "$TMP/all" <<'EOF'
import collections, re, statistics as st, sys
d = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    m = dict(re.findall(r'(\w+)=(\S+)', line))
    for k, x in m.items():
        if k not in ('v', 'run', 'others'):
            d[m['v']][k].append(float(x))
base = {k: st.median(x) for k, x in d['none'].items()}
for v, x in d.items():
    med = {k: st.median(y) for k, y in x.items()}
    s = f"{v}: wall {med['wall']:.3f}s ({100 * (med['wall'] / base['wall'] - 1):+.1f}%)"
    s += f" cpu {med['cpu_ms']:.0f}ms ({100 * (med['cpu_ms'] / base['cpu_ms'] - 1):+.1f}%)"
    s += f" cs {med['cs']:.0f} mig {med['mig']:.0f}"
    if 'agent' in med:
        s += f" | saker {med['agent']:.1f}% of a core, {med['wakeups']:.0f} wake-ups, {med['sent']:.0f} sent"
    print(s)
busy = sum(1 for line in open(sys.argv[1]) if not re.search(r'others=0\b', line))
if busy:
    print(f"warning: {busy} runs had other sys_exit probes attached (noisier)")
EOF

#!/usr/bin/env bash
# probe_cost.sh — what each path of the exit program costs, from the kernel's
# own bpf stats (kernel.bpf_stats_enabled: run_time_ns and run_cnt of every
# program an agent attached), for single-path loads (syscall_load -m) and the
# mixed one. Alternating runs; prints each run and the medians.
#
#   bench/probe_cost.sh [-n REPS] [-N ROUNDS] VARIANT...
#
# A variant is a saker binary with optional `@key=value` overrides (as in
# live_ab.sh), or `floor:tp` / `floor:fexit` (bench/exit_floor: empty
# programs, the floor any probe pays). For each load and variant: ns of
# program time per round of the load (all the agent's programs, all
# syscalls of the machine during the run: other load adds to it, so the
# least of the runs is printed beside the median), the program runs per
# round (above the load's own count: other processes' syscalls), and ns per
# run; and `own`, the load's share: the runs above the load's own count
# priced at the cost per run measured in a quiet window (QUIET seconds)
# just before. Wall times here include the stats'
# own clock reads: compare wall times with live_ab.sh (stats off). MODES
# picks the loads (default: read open openonly write mix); RULES the rules.
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=3
N=500000
while getopts "n:N:" o; do
  case $o in n) REPS=$OPTARG ;; N) N=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-n REPS] [-N ROUNDS] VARIANT..." >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "probe_cost.sh: needs root" >&2; exit 1; }
command -v bpftool >/dev/null || { echo "probe_cost.sh: needs bpftool" >&2; exit 1; }
RULES=${RULES:-../shared/fixtures/upstream-rules/falco_rules.yaml}
BUILD=${BUILD:-build-rel}
LOAD=$BUILD/bench/syscall_load
FLOOR=$BUILD/bench/exit_floor
MODES=${MODES:-"read open openonly write mix"}
QUIET=${QUIET:-0.3}
# program runs per round that the load itself causes
declare -A PER=([read]=1 [open]=2 [openonly]=1.00195 [write]=2 [mix]=3.6)
[ -x "$LOAD" ] || { echo "probe_cost.sh: build $LOAD first" >&2; exit 1; }
TMP=$(mktemp -d)
APID=
STATS0=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
  [ -n "$APID" ] && kill -INT "$APID" 2>/dev/null && wait "$APID" 2>/dev/null || true
  sysctl -qw kernel.bpf_stats_enabled="$STATS0"
  rm -rf "$TMP"
}
trap cleanup EXIT
sysctl -qw kernel.bpf_stats_enabled=1

# run_time_ns and run_cnt summed over the programs the process holds (the
# fdinfo of its bpf-prog fds; bpftool here cannot tell which process holds
# a program, and other processes may run probes of their own)
progstat() {
  python3 -c '
import os, sys
d = "/proc/%s/fd" % sys.argv[1]; t = c = 0
for f in os.listdir(d):
    try:
        if os.readlink(os.path.join(d, f)) != "anon_inode:bpf-prog":
            continue
        kv = dict(l.split(":", 1) for l in open("/proc/%s/fdinfo/%s" % (sys.argv[1], f)) if ":" in l)
    except OSError:
        continue
    t += int(kv.get("run_time_ns", 0)); c += int(kv.get("run_cnt", 0))
print(t, c)' "$1"
}

start() { # variant -> APID, waits until it runs
  local v=$1 bin opts=() ready
  IFS=@ read -r -a parts <<<"$v"
  bin=${parts[0]}
  for p in "${parts[@]:1}"; do opts+=(-o "$p"); done
  case $bin in
    floor:*) "$FLOOR" "${bin#floor:}" 2>"$TMP/agent.err" & ready=attached ;;
    *) "$bin" -r "$RULES" -o engine.kind=modern_ebpf -o stdout_output.enabled=false "${opts[@]}" \
         >/dev/null 2>"$TMP/agent.err" & ready="Live capture started" ;;
  esac
  APID=$!
  for _ in $(seq 600); do grep -q "$ready" "$TMP/agent.err" && break; sleep 0.1; done
  sleep 0.3
}

for r in $(seq "$REPS"); do
  for v in "$@"; do
    start "$v"
    for m in $MODES; do
      args=(-m "$m" "$N"); [ "$m" = mix ] && args=("$N")
      # the other processes' syscalls in a quiet window just before: their
      # cost per run, to take their share out of the load's window
      read -r tq cq < <(progstat "$APID")
      sleep "$QUIET"
      read -r t0 c0 < <(progstat "$APID")
      wall=$("$LOAD" "${args[@]}" | awk '{print $1}')
      read -r t1 c1 < <(progstat "$APID")
      awk -v r="$r" -v v="$v" -v m="$m" -v n="$N" -v w="$wall" -v t=$((t1 - t0)) -v c=$((c1 - c0)) \
        -v qt=$((t0 - tq)) -v qc=$((c0 - cq)) -v per="${PER[$m]}" '
        BEGIN{bg = c - n * per; if (bg < 0) bg = 0; q = qc ? qt / qc : 0
              printf "run=%s v=%s mode=%s wall=%.3f ns_round=%.1f runs_round=%.3f ns_run=%.1f own=%.1f\n",
                     r, v, m, w, t / n, c / n, c ? t / c : 0, (t - bg * q) / n}' | tee -a "$TMP/all"
    done
    kill -INT "$APID"; wait "$APID" || true; APID=
  done
done
echo "== medians of $REPS"
python3 - "$TMP/all" <<'PY'
import collections, re, statistics as st, sys
d = collections.defaultdict(lambda: collections.defaultdict(list))
order = []
for line in open(sys.argv[1]):
    m = dict(re.findall(r'(\w+)=(\S+)', line))
    k = (m['v'], m['mode'])
    if k not in order:
        order.append(k)
    for f in ('wall', 'ns_round', 'runs_round', 'ns_run', 'own'):
        d[k][f].append(float(m[f]))
for k in order:
    x = {f: st.median(y) for f, y in d[k].items()}
    lo = min(d[k]['ns_round'])
    print(f"{k[0]} {k[1]}: {x['own']:.1f} ns/round own (least {min(d[k]['own']):.1f}); "
          f"all: {x['ns_round']:.1f} ns/round, least {lo:.1f} ({x['runs_round']:.2f} runs "
          f"of {x['ns_run']:.1f} ns); wall {x['wall']:.3f} s")
PY

#!/usr/bin/env bash
# live_overhead.sh — what live capture costs the workloads it watches, in one
# run, as a markdown table. Workloads:
#   syscall_load  bench/syscall_load N (open/read/close + loopback connect/accept)
#   redis         redis-benchmark SET/GET against a local redis-server (req/s)
#   c_build       saker's src/util and src/event compiled with make -j1 in a temp dir
# Agents: none, saker with kernel filters on, saker with them off, and Falco
# when FALCO_BIN names an executable (its modern eBPF probe, same rules).
# For each (workload, agent): the median over REPS alternating rounds of the
# workload's wall time (req/s for redis) and its slowdown against no agent,
# the workload's CPU (user+sys, which includes the probe's in-kernel time),
# its context switches and CPU migrations (perf stat), the agent's CPU (% of
# one core) and peak RSS, and the events saker sent (and filtered in the
# kernel). One round runs every agent once on every workload, in turn, so
# that other load on the machine hurts all of them alike.
#
#   REPS=5 N=200000 REDIS_N=100000 bench/live_overhead.sh
#   FALCO_BIN=/usr/bin/falco bench/live_overhead.sh
#   WORKLOADS="syscall_load c_build" AGENTS="none saker_on" bench/live_overhead.sh
#
# Needs root, kernel BTF, perf; installs redis-server through apt when it is
# missing (skips redis if that fails); RULES picks the rules (default: the
# upstream stable rules from ../shared/fixtures).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BUILD=${BUILD:-build-rel}
RULES=${RULES:-../shared/fixtures/upstream-rules/falco_rules.yaml}
N=${N:-200000}            # syscall_load rounds per run
REPS=${REPS:-5}
REDIS_N=${REDIS_N:-100000}
REDIS_PORT=${REDIS_PORT:-6399}
WORKLOADS=${WORKLOADS:-"syscall_load redis c_build"}
AGENTS=${AGENTS:-"none saker_on saker_off"}
FALCO_BIN=${FALCO_BIN:-}
[ -n "$FALCO_BIN" ] && [ -x "$FALCO_BIN" ] && AGENTS="$AGENTS falco"

[ "$(id -u)" = 0 ] || { echo "live_overhead.sh: needs root (the eBPF probe)" >&2; exit 1; }
[ -r /sys/kernel/btf/vmlinux ] || { echo "live_overhead.sh: no kernel BTF" >&2; exit 1; }
[ -r "$RULES" ] || { echo "live_overhead.sh: rules not found: $RULES" >&2; exit 1; }
command -v perf >/dev/null || { echo "live_overhead.sh: needs perf (apt-get install linux-perf)" >&2; exit 1; }
if [ ! -x "$BUILD/saker" ] || [ ! -x "$BUILD/bench/syscall_load" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j2 --target saker syscall_load >/dev/null
fi
if [[ " $WORKLOADS " == *" redis "* ]] && ! command -v redis-server >/dev/null; then
  echo "installing redis-server (apt)" >&2
  apt-get install -y -qq redis-server redis-tools >/dev/null 2>&1 ||
    { echo "redis-server unavailable: redis skipped" >&2; WORKLOADS=${WORKLOADS/redis/}; }
fi
SAKER=$BUILD/saker
LOAD=$BUILD/bench/syscall_load
TMP=$(mktemp -d)
APID=
RPID=
cleanup() {
  [ -n "$APID" ] && kill -INT "$APID" 2>/dev/null && wait "$APID" 2>/dev/null || true
  [ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
HZ=$(getconf CLK_TCK)

# ---- agents ---------------------------------------------------------------------
start_agent() { # agent name; returns once it watches
  case $1 in
  none) return 0 ;;
  saker_on | saker_off)
    local kf=true; [ "$1" = saker_off ] && kf=false
    "$SAKER" -r "$RULES" -o engine.kind=modern_ebpf -o stdout_output.enabled=false \
      -o engine.modern_ebpf.kernel_filters=$kf >/dev/null 2>"$TMP/agent.err" &
    APID=$!
    for _ in $(seq 600); do
      grep -q "Live capture started" "$TMP/agent.err" && break
      kill -0 "$APID" 2>/dev/null || { cat "$TMP/agent.err" >&2; exit 1; }
      sleep 0.1
    done ;;
  falco)
    "$FALCO_BIN" -r "$RULES" -o engine.kind=modern_ebpf -o stdout_output.enabled=false \
      >/dev/null 2>"$TMP/agent.err" &
    APID=$!
    for _ in $(seq 300); do
      grep -qi "Opening 'syscall' source\|Enabled event sources" "$TMP/agent.err" && break
      kill -0 "$APID" 2>/dev/null || { cat "$TMP/agent.err" >&2; exit 1; }
      sleep 0.1
    done
    sleep 2 ;; # its probe attaches after that line
  esac
  sleep 0.3
}
agent_ticks() { [ -n "$APID" ] && awk '{print $14 + $15}' "/proc/$APID/stat" || echo 0; }
agent_hwm() { [ -n "$APID" ] && awk '/VmHWM/ {print $2}' "/proc/$APID/status" || echo 0; }
stop_agent() { # sets SENT FILTERED from saker's end-of-run counters ("-" otherwise)
  SENT=- FILTERED=-
  [ -n "$APID" ] || return 0
  kill -INT "$APID"; wait "$APID" || true; APID=
  if grep -q "Syscall event stats" "$TMP/agent.err"; then
    SENT=$(sed -nE 's/.*sent ([0-9]+),.*/\1/p' "$TMP/agent.err")
    FILTERED=$({ grep -o "filtered [0-9]*" "$TMP/agent.err" || true; } | awk '{s += $2} END {print s + 0}')
  fi
}

# ---- workloads --------------------------------------------------------------------
redis_start() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize no >/dev/null 2>&1 &
  RPID=$!
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
}
prep_cbuild() {
  mkdir -p "$TMP/cb"
  cp "$ROOT"/src/util/*.c "$ROOT"/src/event/*.c "$TMP/cb/"
  {
    echo 'OBJS := $(patsubst %.c,%.o,$(wildcard *.c))'
    echo 'all: $(OBJS)'
    echo '%.o: %.c'
    printf '\tcc -O2 -std=c17 -D_GNU_SOURCE -I%s/src -I%s/src/util -I%s/src/event -c $< -o $@\n' "$ROOT" "$ROOT" "$ROOT"
    echo 'clean:'
    printf '\trm -f *.o\n'
  } >"$TMP/cb/Makefile"
}
# one workload run under perf stat: prints "metric cpu_ms cs mig" (metric: wall
# seconds, or req/s for redis)
run_workload() {
  local out metric
  case $1 in
  syscall_load)
    out=$(perf stat -x, -e context-switches,cpu-migrations,task-clock "$LOAD" "$N" 2>&1 >/dev/null)
    metric=wall ;;
  redis)
    out=$(perf stat -x, -e context-switches,cpu-migrations,task-clock -o "$TMP/perf.out" \
      redis-benchmark -p "$REDIS_PORT" -n "$REDIS_N" -c 20 -t set,get -q 2>/dev/null |
      tr '\r' '\n' | awk '/requests per second/ {s += $2; n++} END {printf "rps=%.0f\n", s / n}')
    out="$out"$'\n'"$(cat "$TMP/perf.out")"
    metric=rps ;;
  c_build)
    make -s -C "$TMP/cb" clean >/dev/null 2>&1
    out=$(perf stat -x, -e context-switches,cpu-migrations,task-clock make -s -j1 -C "$TMP/cb" 2>&1 >/dev/null) ||
      { echo "c_build failed: $out" >&2; exit 1; }
    metric=wall ;;
  esac
  printf '%s\n' "$out" | awk -F, -v m="$metric" -v a="$2" -v b="$(date +%s.%N)" '
    /^rps=/ {split($0, r, "="); rps = r[2]}
    /context-switches/ {cs = $1} /cpu-migrations/ {mig = $1} /task-clock/ {tc = $1}
    END {printf "%s %.0f %d %d\n", (m == "rps") ? rps : sprintf("%.3f", b - a), tc, cs, mig}'
}

prep_cbuild
[[ " $WORKLOADS " == *" redis "* ]] && redis_start

echo "# live_overhead: REPS=$REPS N=$N REDIS_N=$REDIS_N rules=$(basename "$RULES") $(date -u +%FT%TZ)" >&2
for r in $(seq "$REPS"); do
  for w in $WORKLOADS; do
    for a in $AGENTS; do
      start_agent "$a"
      t0=$(agent_ticks); s0=$(date +%s.%N)
      read -r metric cpu cs mig < <(run_workload "$w" "$s0")
      t1=$(agent_ticks); s1=$(date +%s.%N)
      hwm=$(agent_hwm)
      stop_agent
      pct=$(awk -v t="$((t1 - t0))" -v hz="$HZ" -v a="$s0" -v b="$s1" 'BEGIN{printf "%.1f", 100 * t / hz / (b - a)}')
      line="run=$r w=$w a=$a metric=$metric cpu_ms=$cpu cs=$cs mig=$mig agent=$pct rss_kb=$hwm sent=$SENT filtered=$FILTERED"
      echo "$line" >>"$TMP/all"
      echo "$line" >&2
    done
  done
done
[ -n "$RPID" ] && { kill "$RPID"; wait "$RPID" 2>/dev/null || true; RPID=; }

python3 - "$TMP/all" <<'EOF'
import collections, re, statistics as st, sys
d = collections.defaultdict(lambda: collections.defaultdict(list))
order = []
for line in open(sys.argv[1]):
    m = dict(re.findall(r'(\w+)=(\S+)', line))
    key = (m['w'], m['a'])
    if key not in order:
        order.append(key)
    for k in ('metric', 'cpu_ms', 'cs', 'mig', 'agent', 'rss_kb', 'sent', 'filtered'):
        if m.get(k, '-') != '-':
            d[key][k].append(float(m[k]))
med = {k: {f: st.median(v) for f, v in x.items()} for k, x in d.items()}
print("| workload | agent | wall s (redis: req/s) | slowdown | workload CPU ms | ctx switches | migrations | agent CPU % | agent RSS MiB | events sent | filtered in kernel |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for w, a in order:
    x = med[(w, a)]
    base = med.get((w, 'none'), {}).get('metric')
    m = x.get('metric')
    if base and m:
        slow = (base / m - 1) if w == 'redis' else (m / base - 1)
        slow = f"{100 * slow:+.1f}%" if a != 'none' else "–"
    else:
        slow = "n/a"
    fmt = (lambda v: f"{v:.0f}") if w == 'redis' else (lambda v: f"{v:.3f}")
    def g(k, f="{:.0f}"):
        return f.format(x[k]) if k in x else "–"
    rss = f"{x['rss_kb'] / 1024:.0f}" if x.get('rss_kb') else "–"
    agent = g('agent', "{:.1f}") if a != 'none' else "–"
    print(f"| {w} | {a} | {fmt(m) if m else 'n/a'} | {slow} | {g('cpu_ms')} | {g('cs')} | {g('mig')} | "
          f"{agent} | {rss} | {g('sent')} | {g('filtered')} |")
print(f"\nmedians of {max(len(v.get('metric', [])) for v in d.values())} alternating rounds")
EOF

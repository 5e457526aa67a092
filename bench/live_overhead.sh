#!/usr/bin/env bash
# live_overhead.sh — what live capture costs the machine it watches, in one run:
#   (a) bench/syscall_load (open/read/close + loopback connect/accept) timed
#       without saker and with saker running the upstream stable rules;
#   (b) redis-benchmark against a local redis-server, without and with saker;
#   (c) saker's CPU time (% of one core) and peak RSS during those runs;
#   (d) the highest event rate saker takes with zero drops (paced load ramp).
# Needs root, kernel BTF, redis-server/redis-benchmark (scripts/install-deps.sh)
# and ../shared/fixtures for the rules (RULES=... to use another file).
# Each figure is the median of REPS runs, alternating with and without saker,
# so that other load on the machine hurts both sides alike.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build-rel}
RULES=${RULES:-../shared/fixtures/upstream-rules/falco_rules.yaml}
N=${N:-200000}            # syscall_load rounds per run
REPS=${REPS:-5}
REDIS_N=${REDIS_N:-100000}
REDIS_PORT=${REDIS_PORT:-6399}
RAMP=${RAMP:-"10000 20000 40000 80000 160000"}   # rounds/s (about 2.5 events each)

[ "$(id -u)" = 0 ] || { echo "live_overhead.sh: needs root (the eBPF probe)" >&2; exit 1; }
[ -r /sys/kernel/btf/vmlinux ] || { echo "live_overhead.sh: no kernel BTF" >&2; exit 1; }
[ -r "$RULES" ] || { echo "live_overhead.sh: rules not found: $RULES" >&2; exit 1; }
if [ ! -x "$BUILD/saker" ] || [ ! -x "$BUILD/bench/syscall_load" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target saker syscall_load >/dev/null
fi
SAKER=$BUILD/saker
LOAD=$BUILD/bench/syscall_load
TMP=$(mktemp -d)
SPID=
RPID=
cleanup() {
  [ -n "$SPID" ] && kill -INT "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null || true
  [ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
HZ=$(getconf CLK_TCK)

# saker in the background with the rules; returns once the probe is attached.
start_saker() {
  "$SAKER" -r "$RULES" -o engine.kind=modern_ebpf -o stdout_output.enabled=false "$@" \
    >/dev/null 2>"$TMP/saker.err" &
  SPID=$!
  for _ in $(seq 600); do
    grep -q "Live capture started" "$TMP/saker.err" && return 0
    kill -0 "$SPID" 2>/dev/null || { cat "$TMP/saker.err" >&2; exit 1; }
    sleep 0.1
  done
  echo "saker did not start" >&2; exit 1
}
saker_ticks() { awk '{print $14 + $15}' "/proc/$SPID/stat"; }
saker_hwm() { awk '/VmHWM/ {print $2}' "/proc/$SPID/status"; }
# stops saker; sets READ SECS DROPS from its end-of-run counters
stop_saker() {
  kill -INT "$SPID"; wait "$SPID" || true; SPID=
  local l; l=$(grep "Syscall event stats" "$TMP/saker.err")
  READ=$(sed -E 's/.*read ([0-9]+).*/\1/' <<<"$l")
  DROPS=$(sed -E 's/.*drops ([0-9]+).*/\1/' <<<"$l")
  SECS=$(sed -E 's/.* in ([0-9.]+) s.*/\1/' <<<"$l")
}
# wall and CPU (user+sys) seconds of a command
timed() { /usr/bin/time -f "%e %U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1, $2 + $3}'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN{print (a == "" || b < a) ? b : a}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN{print (a == "" || b > a) ? b : a}'; }

HWM=0 CPU_PCT= EV_RATE=
echo "== (a) syscall_load $N rounds, median of $REPS (rules: $RULES)"
BWS=() BCS=() SWS=() SCS=() PCTS=()
for r in $(seq "$REPS"); do
  read -r bw bc < <(timed "$LOAD" "$N"); BWS+=("$bw"); BCS+=("$bc")
  start_saker
  t0=$(saker_ticks); s0=$(date +%s.%N)
  read -r w c < <(timed "$LOAD" "$N"); SWS+=("$w"); SCS+=("$c")
  t1=$(saker_ticks); s1=$(date +%s.%N)
  HWM=$(max "$HWM" "$(saker_hwm)")
  stop_saker
  pct=$(awk -v t="$((t1 - t0))" -v hz="$HZ" -v a="$s0" -v b="$s1" 'BEGIN{printf "%.1f", 100 * t / hz / (b - a)}')
  rate=$(awk -v n="$READ" -v s="$SECS" 'BEGIN{printf "%.0f", n / s}')
  PCTS+=("$pct"); EV_RATE=$(max "$EV_RATE" "$rate")
  echo "   run $r: without ${bw}s wall ${bc}s cpu | with ${w}s wall ${c}s cpu | saker ${pct}% of a core, ${rate} ev/s read, drops $DROPS"
done
BW=$(median "${BWS[@]}"); BC=$(median "${BCS[@]}"); SW=$(median "${SWS[@]}"); SC=$(median "${SCS[@]}")
CPU_PCT=$(median "${PCTS[@]}")
SLOW_WALL=$(awk -v a="$SW" -v b="$BW" 'BEGIN{printf "%.1f", 100 * (a / b - 1)}')
SLOW_CPU=$(awk -v a="$SC" -v b="$BC" 'BEGIN{printf "%.1f", 100 * (a / b - 1)}')
echo "   slowdown: wall ${SLOW_WALL}% (${BW}s -> ${SW}s), workload CPU ${SLOW_CPU}% (${BC}s -> ${SC}s)"

echo "== (b) redis-benchmark -n $REDIS_N (SET/GET), median of $REPS"
REDIS_SLOW=n/a
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize no >/dev/null 2>&1 &
  RPID=$!
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  rps() {
    redis-benchmark -p "$REDIS_PORT" -n "$REDIS_N" -c 20 -t set,get -q 2>/dev/null |
      tr '\r' '\n' | awk '/requests per second/ {s += $2; n++} END {printf "%.0f", s / n}'
  }
  RBS=() RSS=()
  for r in $(seq "$REPS"); do
    v=$(rps); RBS+=("$v")
    start_saker
    t0=$(saker_ticks); s0=$(date +%s.%N)
    v2=$(rps); RSS+=("$v2")
    t1=$(saker_ticks); s1=$(date +%s.%N)
    HWM=$(max "$HWM" "$(saker_hwm)")
    stop_saker
    pct=$(awk -v t="$((t1 - t0))" -v hz="$HZ" -v a="$s0" -v b="$s1" 'BEGIN{printf "%.1f", 100 * t / hz / (b - a)}')
    echo "   run $r: without $v req/s | with $v2 req/s | saker ${pct}% of a core, drops $DROPS"
  done
  kill "$RPID"; wait "$RPID" 2>/dev/null || true; RPID=
  RB=$(median "${RBS[@]}"); RS=$(median "${RSS[@]}")
  REDIS_SLOW=$(awk -v a="$RB" -v b="$RS" 'BEGIN{printf "%.1f", 100 * (a / b - 1)}')
  echo "   slowdown: ${REDIS_SLOW}% ($RB -> $RS req/s)"
else
  echo "   skipped: redis-server/redis-benchmark not installed (scripts/install-deps.sh)"
fi

echo "== (d) event rate ramp (3 s per step, paced syscall_load)"
BEST=0
for rate in $RAMP; do
  start_saker
  "$LOAD" -r "$rate" -t 3 >"$TMP/load.out"
  HWM=$(max "$HWM" "$(saker_hwm)")
  stop_saker
  evs=$(awk -v n="$READ" -v s="$SECS" 'BEGIN{printf "%.0f", n / s}')
  echo "   $rate rounds/s ($(cut -d, -f3 "$TMP/load.out" | xargs)): saker read $evs ev/s, drops $DROPS"
  if [ "$DROPS" = 0 ]; then BEST=$(max "$BEST" "$evs"); else break; fi
done

echo "== summary"
echo "   syscall_load slowdown: wall ${SLOW_WALL}%, workload CPU ${SLOW_CPU}%"
echo "   redis-benchmark slowdown: ${REDIS_SLOW}%"
echo "   saker CPU: ${CPU_PCT}% of one core (median) at up to ${EV_RATE} ev/s; peak RSS $((HWM / 1024)) MiB"
echo "   highest event rate with zero drops: ${BEST} ev/s"
echo "   (Falco 0.44.1 reference: ~20% slowdown, ~23% of a core at ~87k ev/s, 59 MB RSS)"

#!/usr/bin/env bash
# rules_bench.sh [N] — the engine's figures on the 1M-event workload capture
# in ../shared/fixtures, Release build:
#   1. rules load time of each upstream rules file (`saker -V`, whole process);
#   2. whole-binary replay (`-e` with JSON alerts to /dev/null) with the stable
#      rules and with stable + incubating + sandbox: events/s and peak RSS
#      (/usr/bin/time -v), best of N runs;
#   3. bench/rules_bench: read / read+state / read+state+rules passes and the
#      ruleset's ns per event.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-3}
fx=../shared/fixtures
cap=$fx/traces/current/workload-falco-0.44.1.scap.gz
rules=$fx/upstream-rules
[ -f "$cap" ] || { echo "SKIP: $cap not found"; exit 0; }
[ -x /usr/bin/time ] || { echo "SKIP: /usr/bin/time not installed (apt-get install time)"; exit 0; }
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DSAKER_BPF=OFF >/dev/null
cmake --build build-bench --target saker rules_bench -j"$(nproc)" >/dev/null
bin=build-bench/saker
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/falco.yaml" <<YAML
json_output: true
stdout_output: {enabled: true}
append_output: [{suggested_output: true}]
log_stderr: false
YAML
# Events the rules see (the capture's events minus state-only metadata events).
events=1019361

echo "== rules load (saker -V FILE, whole process, best of $n)"
for f in falco_rules.yaml falco-incubating_rules.yaml falco-sandbox_rules.yaml \
         falco-deprecated_rules.yaml k8s_audit_rules.yaml; do
  [ -f "$rules/$f" ] || continue
  extra=()
  [ "$f" = falco_rules.yaml ] || extra=(-V "$rules/falco_rules.yaml")
  best=""
  for _ in $(seq "$n"); do
    t0=$(date +%s.%N)
    "$bin" -c "$tmp/falco.yaml" "${extra[@]}" -V "$rules/$f" >/dev/null 2>&1 || true
    t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  printf '  %-30s %7.1f ms%s\n' "$f" "$(echo "$best * 1000" | bc -l)" \
    "$([ ${#extra[@]} -gt 0 ] && echo ' (after falco_rules.yaml)')"
done

replay() { # label, rules args...
  local label=$1; shift
  local best="" rss=""
  for _ in $(seq "$n"); do
    /usr/bin/time -v -o "$tmp/time" "$bin" -c "$tmp/falco.yaml" -e "$cap" "$@" >/dev/null 2>&1
    local w r
    w=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time" |
        awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    r=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time")
    if [ -z "$best" ] || [ "$(echo "$w < $best" | bc -l)" = 1 ]; then best=$w; fi
    if [ -z "$rss" ] || [ "$r" -gt "$rss" ]; then rss=$r; fi
  done
  printf '  %-8s wall %.2f s  %8.0f events/s  peak RSS %.1f MB\n' "$label" "$best" \
    "$(echo "$events / $best" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}
echo "== replay, whole binary (load + gunzip + state + rules + JSON alerts), best of $n"
replay stable -r "$rules/falco_rules.yaml"
replay all -r "$rules/falco_rules.yaml" -r "$rules/falco-incubating_rules.yaml" \
  -r "$rules/falco-sandbox_rules.yaml"
echo "   (Falco 0.44.1 on the same machine class: ~800k ev/s stable, ~260k ev/s all, 26 MB RSS)"

echo "== per stage (bench/rules_bench), stable"
build-bench/bench/rules_bench "$cap" "$rules/falco_rules.yaml" -n "$n" | sed 's/^/  /'
echo "== per stage (bench/rules_bench), stable + incubating + sandbox"
build-bench/bench/rules_bench "$cap" "$rules/falco_rules.yaml" "$rules/falco-incubating_rules.yaml" \
  "$rules/falco-sandbox_rules.yaml" -n "$n" | sed 's/^/  /'

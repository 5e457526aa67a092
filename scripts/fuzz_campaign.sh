#!/usr/bin/env bash
# fuzz_campaign.sh [CPU_SECONDS] [TARGET...] — the long fuzzing campaign (not CI):
# runs each libFuzzer target (default: every tests/fuzz/fuzz_*.c) until it has
# used CPU_SECONDS of CPU time (default 3600 = 1 CPU-hour), keeping its grown
# corpus in build-fuzz/campaign/corpus-NAME and any crash in
# build-fuzz/campaign/NAME/. The target runs in slices of at most 10 minutes;
# the CPU time of every slice is added to build-fuzz/campaign/NAME.cpu, so a
# campaign cut short (a reboot, a session's end) resumes where it stopped, and
# the figure reported is CPU time, not wall time on a busy machine.
# Prints libFuzzer's final statistics and, with COVERAGE=1 (needs llvm-cov and
# llvm-profdata), replays each corpus through a coverage build and prints the
# line coverage of the code the target exercises.
# Env: JOBS=N runs N targets at once (default 1); NICE=N (default 10), or
# IDLE=1 to run under SCHED_IDLE (only on CPU time nobody else wants).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-3600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
CC=clang cmake -S . -B build-fuzz -DSAKER_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}"
out=build-fuzz/campaign
mkdir -p "$out"

seeds_of() { # the committed seeds of a target (fuzz_scap's are cut from fixtures)
  local name=$1 d=tests/fuzz/corpus_${1#fuzz_}
  if [ "$name" = fuzz_scap ] && [ -d ../shared/fixtures/traces ]; then
    d=build-fuzz/seeds-scap
    [ -d "$d" ] || python3 tests/fuzz/scap_seeds.py ../shared/fixtures/traces "$d" >/dev/null
  fi
  [ -d "$d" ] && echo "$d"
  return 0
}

cpu_of() { # CPU seconds the target has used so far in this campaign
  local f=$out/$1.cpu
  [ -f "$f" ] && awk '{s += $1} END {printf "%d", s}' "$f" || echo 0
}

run_slice() { # one slice of at most 10 minutes; appends its CPU seconds
  local name=$1 secs=$2 maxlen=4096 sched
  [ "$name" = fuzz_scap ] && maxlen=16384
  [ "$name" = fuzz_probe ] && maxlen=16384
  if [ "${IDLE:-0}" = 1 ]; then sched="chrt -i 0"; else sched="nice -n ${NICE:-10}"; fi
  local TIMEFORMAT='%U %S'
  { time $sched build-fuzz/tests/fuzz/"$name" -max_total_time="$secs" -max_len=$maxlen \
      -print_final_stats=1 -artifact_prefix="$out/$name/" "$out/corpus-$name" \
      $(seeds_of "$name") >"$out/$name.log" 2>&1 || true; } 2>"$out/$name.time"
  awk '{print $1 + $2}' "$out/$name.time" >>"$out/$name.cpu"
  # one line per slice: its CPU seconds and libFuzzer's last status line
  echo "$(tail -1 "$out/$name.cpu") $(grep -aE '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' \
    "$out/$name.log" | tail -1)" >>"$out/$name.slices"
}

run_one() {
  local name=$1 used
  mkdir -p "$out/corpus-$name" "$out/$name"
  used=$(cpu_of "$name")
  while [ "$used" -lt "$secs" ]; do
    local left=$((secs - used))
    run_slice "$name" $((left < 600 ? left : 600))
    # a crash, leak, timeout or out-of-memory input: stop and look at it (a
    # slow-unit is only reported: a paused campaign, SIGSTOP while a
    # benchmark runs, makes the input in flight look slow)
    [ -n "$(find "$out/$name" -type f ! -name 'slow-unit-*')" ] && break
    used=$(cpu_of "$name")
  done
  local crashes
  crashes=$(find "$out/$name" -type f ! -name 'slow-unit-*' | wc -l)
  printf '%-16s cpu=%5ss  %s  crashes=%s\n' "$name" "$(cpu_of "$name")" \
    "$(grep -aE '^#[0-9]+[[:space:]]+DONE' "$out/$name.log" | tail -1 | sed -E 's/^#[0-9]+[[:space:]]+DONE[[:space:]]+//')" "$crashes"
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$out/$name.log" | tr '\n' ' '; echo
}
export -f run_one run_slice cpu_of seeds_of
export out secs
printf '%s\n' "${targets[@]}" | xargs -P "${JOBS:-1}" -I{} bash -c 'run_one {}'

focus_of() { # the sources each target is meant to exercise
  case $1 in
    fuzz_scap) echo src/event/scap_read.c src/event/scap_in.c src/event/scap_conv.c ;;
    fuzz_probe) echo src/event/event.c src/state ;;
    fuzz_procfs) echo src/driver/procscan.c src/state/seed.c ;;
    fuzz_filter) echo src/filter ;;
    fuzz_rules) echo src/rules ;;
    fuzz_config) echo src/config ;;
    fuzz_format) echo src/output/format.c src/output/alert.c src/output/json.c ;;
    fuzz_ctr_record) echo src/state/container_meta.c src/state/container.c ;;
    fuzz_audit) echo src/audit/decode.c src/audit/event.c src/fields/fields_k8saudit.c ;;
  esac
}

if [ "${COVERAGE:-0}" = 1 ]; then
  # A second build with source-based coverage; each target replays its corpus.
  CC=clang cmake -S . -B build-fuzzcov -DSAKER_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
    "-DCMAKE_C_FLAGS=-fprofile-instr-generate -fcoverage-mapping" >/dev/null
  cmake --build build-fuzzcov -j"$(nproc)" --target "${targets[@]}" >/dev/null
  for name in "${targets[@]}"; do
    prof=$out/$name.profraw
    LLVM_PROFILE_FILE=$prof build-fuzzcov/tests/fuzz/"$name" -runs=0 \
      "$out/corpus-$name" $(seeds_of "$name") >/dev/null 2>&1 || true
    llvm-profdata merge -sparse "$prof" -o "$out/$name.profdata"
    # line coverage of the parser the target is for
    local_src=$(focus_of "$name")
    printf '%-16s %s: %s\n' "$name" "$local_src" "$(llvm-cov report \
      build-fuzzcov/tests/fuzz/"$name" -instr-profile="$out/$name.profdata" $local_src |
      awk '/^TOTAL/ {print $10 " of " $8 " lines"}')"
  done
fi

#!/usr/bin/env bash
# load_bounds.sh — the full-size runs of tests/e2e/test_load_bounds.py (not CI):
# 100,000-process fork storm and nested fork storm, 100,000 fds (one process
# as large as RLIMIT_NOFILE allows, then five), 10,000 threads; once with the
# low bounds of the test (evictions shown) and once with the built-in bounds
# (the memory ceiling of a default configuration). Prints the [load] lines:
# peak RSS, worst alert latency during the storm, counter deltas.
#
#   bench/load_bounds.sh [BUILD_DIR]      (root, kernel BTF; default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cmake --build "$build" -j2 --target saker load_storm >/dev/null
for bounds in low default; do
  echo "== bounds: $bounds, SAKER_LOAD_SCALE=${SAKER_LOAD_SCALE:-1}"
  SAKER_BIN="$PWD/$build/saker" SAKER_LOAD_SCALE=${SAKER_LOAD_SCALE:-1} SAKER_LOAD_BOUNDS=$bounds \
    /usr/bin/python3 -m pytest -q -s -p no:cacheprovider --basetemp=/tmp/pt-load-bounds \
    tests/e2e/test_load_bounds.py 2>&1 | grep -E '^\[load\]|passed|failed|Error'
done

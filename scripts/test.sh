#!/usr/bin/env bash
# test.sh — sets up everything and runs the whole test suite: unit tests with
# gcc, clang and ASan/UBSan builds, then the end-to-end tests against the
# real binary. Tests needing root, BTF or ../shared/fixtures skip with a
# message when those are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "== build (gcc)"
scripts/build.sh build
echo "== deploy tests, in the background (log: build-deploy/test.log)"
# package, systemd host, image and Kubernetes tests (tests/deploy/): they need
# root and podman; the debootstrap root filesystem and images they share are
# made once per run inside build-deploy/
deploy_pid=""
if [ "$(id -u)" -eq 0 ]; then
  # setup-podman.sh installs podman first (tests needing it skip if that fails)
  rm -rf build-deploy && mkdir -p build-deploy
  ( { timeout 900 scripts/containers/setup-podman.sh || echo "setup-podman.sh failed"; } &&
    SAKER_BIN="$PWD/build/saker" timeout 1200 /usr/bin/python3 -m pytest -q -rs -p no:cacheprovider \
      --basetemp=build-deploy/pytest tests/deploy ) >build-deploy/test.log 2>&1 &
  deploy_pid=$!
else
  echo "deploy tests skipped: they need root (dpkg in a chroot, systemd and images in podman)"
fi
echo "== build (clang)"
CC=clang scripts/build.sh build-clang
echo "== build (gcc, ASan+UBSan)"
scripts/build.sh build-asan -DSAKER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
echo "== container runtimes for the tests (podman, dockerd, containerd; root only)"
if [ "$(id -u)" -eq 0 ]; then
  # a runtime that cannot be set up here makes its tests skip with the reason
  for rt in podman docker containerd; do
    timeout 900 scripts/containers/setup-$rt.sh || echo "setup-$rt.sh failed: its tests will skip"
  done
else
  echo "not root: container runtime tests will skip"
fi
echo "== unit tests (ASan+UBSan)"
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -j"$(nproc)"
echo "== unit tests (clang)"
ctest --test-dir build-clang --output-on-failure -j"$(nproc)"
echo "== fuzz targets (brief)"
CC=clang scripts/build.sh build-fuzz -DSAKER_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug
# Two targets at a time (2 CPUs). Each first replays its committed seeds,
# which hold the inputs of every crash found so far (regression tests).
fuzz_brief() {
  local f=$1 name seeds secs=12 maxlen=4096
  [ -x "$f" ] && [ -f "$f" ] || return 0
  name=$(basename "$f")
  seeds=tests/fuzz/corpus_${name#fuzz_}
  if [ "$name" = fuzz_scap ]; then
    # seeds cut from the fixture captures at test time (never committed)
    seeds=build-fuzz/seeds-scap secs=20 maxlen=16384
    rm -rf "$seeds"
    if [ -d ../shared/fixtures/traces ]; then
      python3 tests/fuzz/scap_seeds.py ../shared/fixtures/traces "$seeds"
    else
      echo "fuzz_scap: ../shared/fixtures absent, fuzzing without seeds"
    fi
  fi
  [ "$name" = fuzz_probe ] && maxlen=16384
  mkdir -p "build-fuzz/corpus-$name"
  if "$f" -max_total_time=$secs -max_len=$maxlen "build-fuzz/corpus-$name" \
       $( [ -d "$seeds" ] && echo "$seeds" ) >"build-fuzz/$name.log" 2>&1; then
    echo "$name: $(tail -1 "build-fuzz/$name.log")"
  else
    tail -40 "build-fuzz/$name.log"; echo "$name FAILED"; return 1
  fi
}
export -f fuzz_brief
ls build-fuzz/tests/fuzz/fuzz_* | xargs -P 2 -I{} bash -c 'fuzz_brief {}'
# Live end-to-end tests measure latencies on a machine that also builds
# and runs containers: the tests that failed run once more, alone, and only
# a second failure fails the suite (both runs are in the log).
pytest_once_more() {
  /usr/bin/python3 -m pytest -q "$@" && return 0
  echo "== rerunning the failed tests once (the failures above are in the log)"
  /usr/bin/python3 -m pytest -q --lf "$@"
}
echo "== ThreadSanitizer (multi-threaded parts)"
# outputs and their threads, web server, audit queue and webhook, container
# clients, reload thread; then live saker runs under load, reload and HTTP.
# Known benign reports are in tests/tsan.supp, each with its reason.
CC=clang cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DSAKER_TSAN=ON >/dev/null
tsan_units=(test_output test_server test_ops test_audit test_audit_web test_ctr_docker test_ctr_cri
            test_ctr_config)
cmake --build build-tsan -j"$(nproc)" --target saker "${tsan_units[@]}"
tsan_logs=$(mktemp -d)
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp log_path=$tsan_logs/report"
ctest --test-dir build-tsan --output-on-failure -j"$(nproc)" \
  -R "^($(IFS='|'; echo "${tsan_units[*]}"))\$"
SAKER_BIN="$PWD/build-tsan/saker" pytest_once_more tests/e2e/test_faults.py \
  tests/e2e/test_privs.py tests/e2e/test_ops_reload.py tests/e2e/test_ops_web.py \
  tests/e2e/test_k8s_audit_web.py -k "not rss and not syscall_alerts_flow"
unset TSAN_OPTIONS
# a race report fails the step even when the test that met it passed on rerun
if compgen -G "$tsan_logs/report*" >/dev/null; then
  cat "$tsan_logs"/report*
  echo "ThreadSanitizer reported (above)"
  exit 1
fi
rm -rf "$tsan_logs"
echo "== end-to-end tests"
SAKER_BIN="$PWD/build/saker" SAKER_ASAN_BIN="$PWD/build-asan/saker" pytest_once_more tests/e2e
echo "== deploy tests (started after the gcc build)"
if [ -n "$deploy_pid" ]; then
  if wait "$deploy_pid"; then
    grep -E "^SKIPPED|passed|failed" build-deploy/test.log || true
  else
    cat build-deploy/test.log
    echo "deploy tests failed (build-deploy/test.log)"
    exit 1
  fi
fi

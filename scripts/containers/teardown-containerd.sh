#!/usr/bin/env bash
# teardown-containerd.sh — undoes setup-containerd.sh: removes the tasks and
# containers made from the test images (localhost/saker-test:1 and the local
# pause image) in namespaces k8s.io and default, then stops containerd if, and
# only if, setup-containerd.sh started it (pid file in /run/saker-test/).
# Images and /etc/saker-test/containerd.toml stay (as the packages do), so
# the next set-up is fast; `--purge` removes the images too.
set -euo pipefail

NAME=${SAKER_CONTAINERD_NAME:-containerd}  # as in setup-containerd.sh
RUN=/run/saker-test
SOCK=/run/$NAME/containerd.sock
PAUSE_IMAGE=registry.k8s.io/pause:3.6
TEST_IMAGE=localhost/saker-test:1

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
purge=0
[ "${1:-}" = --purge ] && purge=1

mkdir -p "$RUN"
exec 9>"$RUN/$NAME.lock"
flock -w 120 9 || die "timed out waiting for $RUN/$NAME.lock"

c() { timeout 20 ctr --address "$SOCK" "$@"; }

remove_test_containers() {
	local ns=$1 id image
	c -n "$ns" containers ls 2>/dev/null | tail -n +2 | while read -r id image _; do
		case "$image" in "$PAUSE_IMAGE" | "$TEST_IMAGE") ;; *) continue ;; esac
		c -n "$ns" tasks kill -s KILL "$id" >/dev/null 2>&1 || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			c -n "$ns" tasks rm "$id" >/dev/null 2>&1 && break
			c -n "$ns" tasks ls -q 2>/dev/null | grep -xF "$id" >/dev/null || break
			sleep 0.2
		done
		c -n "$ns" containers rm "$id" >/dev/null 2>&1 && log "removed $ns/$id" || true
		# a pod sandbox removed behind the CRI plugin's back leaves its
		# /dev/shm mount and state dir; the plugin forgets the sandbox
		# itself once its container is gone
		local sb=/run/$NAME/io.containerd.grpc.v1.cri/sandboxes/$id
		if [ -d "$sb" ]; then
			umount "$sb/shm" 2>/dev/null || true
			rm -rf "$sb" 2>/dev/null || true
		fi
	done
}

if [ -S "$SOCK" ] && c version >/dev/null 2>&1; then
	for ns in k8s.io default; do
		remove_test_containers "$ns"
		if [ $purge = 1 ]; then
			c -n "$ns" images rm "$PAUSE_IMAGE" "$TEST_IMAGE" >/dev/null 2>&1 || true
		fi
	done
fi

f=$RUN/$NAME.pid
if [ -f "$f" ]; then
	pid=$(cat "$f")
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 200; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
		log "stopped containerd (pid $pid)"
	fi
	rm -f "$f"
fi

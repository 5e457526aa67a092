#!/usr/bin/env bash
# teardown.sh — undoes setup-podman.sh / setup-docker.sh: removes the
# containers saker's tests labelled (saker.test), then stops the daemons that
# setup started (by the pid it recorded; a daemon that was already running
# before setup is left alone). Packages, the podman config drop-in and the
# imported images stay, so the next setup is fast.
set -euo pipefail
. "$(dirname "$0")/common.sh"
sk_need_root
sk_lock

if command -v podman >/dev/null; then
	ids=$(podman ps -aq --filter label=saker.test 2>/dev/null || true)
	[ -n "$ids" ] && podman rm -f -t 0 $ids >/dev/null 2>&1 || true
fi
if sk_pid_alive "$SAKER_RUN/dockerd.pid" && command -v docker >/dev/null; then
	ids=$(DOCKER_HOST=unix://$DOCKER_SOCK docker ps -aq --filter label=saker.test 2>/dev/null || true)
	[ -n "$ids" ] && DOCKER_HOST=unix://$DOCKER_SOCK docker rm -f $ids >/dev/null 2>&1 || true
fi

sk_stop_pidfile "$SAKER_RUN/podman.pid"
# dockerd first (it stops its containers), then its containerd.
sk_stop_pidfile "$SAKER_RUN/dockerd.pid"
sk_stop_pidfile "$SAKER_RUN/docker-containerd.pid"
# Only our own files: other scripts keep theirs here too.
rm -rf "$SAKER_RUN/podman.log" "$SAKER_RUN/dockerd.log" "$SAKER_RUN/docker-daemon.json" \
	"$SAKER_RUN/docker-containerd.log" "$SAKER_RUN/docker-containerd.toml" \
	"$SAKER_RUN/docker-containerd" "$SAKER_RUN/dockerd.daemon.pid"

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
	podman ps -aq --filter label=saker.test 2>/dev/null |
		xargs -r podman rm -f -t 0 >/dev/null 2>&1 || true
fi
if sk_pid_alive "$SAKER_RUN/dockerd.pid" && command -v docker >/dev/null; then
	export DOCKER_HOST=unix://$DOCKER_SOCK
	docker ps -aq --filter label=saker.test 2>/dev/null |
		xargs -r docker rm -f >/dev/null 2>&1 || true
fi

if [ -f "$SAKER_RUN/podman.pid" ]; then
	sk_stop_pidfile "$SAKER_RUN/podman.pid"
	rm -f "$PODMAN_SOCK" # the service leaves it behind
fi
# dockerd first (it stops its containers), then its containerd.
sk_stop_pidfile "$SAKER_RUN/dockerd.pid"
sk_stop_pidfile "$SAKER_RUN/docker-containerd.pid"
# Only our own files: other scripts keep theirs here too.
rm -rf "$SAKER_RUN/podman.log" "$SAKER_RUN/dockerd.log" "$SAKER_RUN/docker-daemon.json" \
	"$SAKER_RUN/docker-containerd.log" "$SAKER_RUN/docker-containerd.toml" \
	"$SAKER_RUN/docker-containerd" "$SAKER_RUN/dockerd.daemon.pid"

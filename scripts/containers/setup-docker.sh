#!/usr/bin/env bash
# setup-docker.sh — makes dockerd (docker.io 20.10) usable for saker's tests
# on a fresh Debian 12 (as root, idempotent): installs the packages, starts
# dockerd with no bridge, no iptables rules and no ip_forward change (so the
# host's network is left as it was) unless something already answers on
# /var/run/docker.sock, and imports the local busybox image
# localhost/saker-test:1. Undo with teardown.sh.
set -euo pipefail
. "$(dirname "$0")/common.sh"
sk_need_root
sk_lock

SK_APT_OPTS=--no-install-recommends sk_apt_install docker.io containerd runc busybox-static curl jq

# Our own daemon config, so that a host /etc/docker/daemon.json (bridges,
# registries, ...) does not leak in and none is written.
cfg=$SAKER_RUN/docker-daemon.json
# Without CAP_SYS_RESOURCE in the bounding set, runc cannot apply a
# privileged container's capabilities: run runc through a wrapper that drops
# that one capability from the bundle's config first.
capbnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
if (((0x$capbnd >> 24 & 1) == 0)); then
	wrapper=/usr/local/sbin/runc-nosysres
	install -m 755 /dev/stdin "$wrapper" <<'WRAP'
#!/bin/sh
# runc-nosysres — runc, minus CAP_SYS_RESOURCE (missing from this machine's
# bounding set), so that `docker run --privileged` works. From saker's
# scripts/containers/setup-docker.sh.
bundle=""; prev=""
for a in "$@"; do
	case "$prev" in --bundle|-b) bundle="$a";; esac
	case "$a" in --bundle=*) bundle="${a#--bundle=}";; esac
	prev="$a"
done
if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then
	/usr/bin/jq '(.process.capabilities // {}) |= with_entries(.value |= map(select(. != "CAP_SYS_RESOURCE")))' \
		"$bundle/config.json" >"$bundle/config.json.tmp" && mv "$bundle/config.json.tmp" "$bundle/config.json"
fi
exec /usr/bin/runc "$@"
WRAP
	echo '{"runtimes":{"runc-nosysres":{"path":"/usr/local/sbin/runc-nosysres"}},"default-runtime":"runc-nosysres"}' >"$cfg"
else
	echo '{}' >"$cfg"
fi

if sk_api_up "$DOCKER_SOCK"; then
	sk_log "docker API already answers on $DOCKER_SOCK"
else
	sk_pid_alive "$SAKER_RUN/dockerd.pid" && sk_stop_pidfile "$SAKER_RUN/dockerd.pid"
	# dockerd 20.10 would adopt a containerd already serving
	# /run/containerd/containerd.sock (e.g. one a CRI test started) and break
	# when that one stops: give it its own, on its own socket.
	if ! sk_pid_alive "$SAKER_RUN/docker-containerd.pid"; then
		mkdir -p "$SAKER_RUN/docker-containerd"
		printf 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n' \
			>"$SAKER_RUN/docker-containerd.toml"
		setsid /usr/bin/containerd --config "$SAKER_RUN/docker-containerd.toml" \
			--address "$SAKER_RUN/docker-containerd/containerd.sock" \
			--root /var/lib/docker/containerd/daemon --state "$SAKER_RUN/docker-containerd/state" \
			</dev/null >"$SAKER_RUN/docker-containerd.log" 2>&1 9>&- &
		echo $! >"$SAKER_RUN/docker-containerd.pid"
		for ((i = 0; i < 300; i++)); do
			[ -S "$SAKER_RUN/docker-containerd/containerd.sock" ] && break
			sleep 0.1
		done
	fi
	setsid /usr/sbin/dockerd --containerd "$SAKER_RUN/docker-containerd/containerd.sock" --config-file "$cfg" --pidfile "$SAKER_RUN/dockerd.daemon.pid" \
		--host "unix://$DOCKER_SOCK" \
		--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
		</dev/null >"$SAKER_RUN/dockerd.log" 2>&1 9>&- &
	echo $! >"$SAKER_RUN/dockerd.pid"
	sk_wait_api "$DOCKER_SOCK" 60 "$SAKER_RUN/dockerd.log"
	sk_log "dockerd started on $DOCKER_SOCK (pid $(cat "$SAKER_RUN/dockerd.pid"))"
fi

# The CLI may be a newer one than the daemon (it negotiates the API version).
export DOCKER_HOST=unix://$DOCKER_SOCK
if ! docker image inspect "$SAKER_IMAGE" >/dev/null 2>&1; then
	sk_rootfs_tar | docker import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - "$SAKER_IMAGE" >/dev/null
	sk_log "imported $SAKER_IMAGE"
fi

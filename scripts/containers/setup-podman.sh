#!/usr/bin/env bash
# setup-podman.sh — makes podman and its Docker-compatible API usable for
# saker's tests on a fresh Debian 12 (as root, idempotent): installs the
# packages, applies this VM kind's config fixes, starts
# `podman system service` on /run/podman/podman.sock unless something already
# answers there, and imports the local busybox image localhost/saker-test:1.
# No registry is needed and no network is set up (tests use --network none).
# Undo with teardown.sh (it stops only what this script started).
set -euo pipefail
. "$(dirname "$0")/common.sh"
sk_need_root
sk_lock

sk_apt_install podman runc busybox-static curl jq

# Drop-in (kept after teardown, so the CLI keeps working):
# - the capability bounding set may lack CAP_SYS_RESOURCE, and rootful
#   podman's default rlimits (1048576) then cannot be set;
# - crun 1.8 refuses hybrid cgroup layouts with a controller on cgroup2.
conf=/etc/containers/containers.conf.d/50-saker-test.conf
want='# saker-test: written by scripts/containers/setup-podman.sh
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"'
if [ "$(cat "$conf" 2>/dev/null)" != "$want" ]; then
	mkdir -p "${conf%/*}"
	printf '%s\n' "$want" >"$conf"
fi

if sk_api_up "$PODMAN_SOCK"; then
	sk_log "podman API already answers on $PODMAN_SOCK"
else
	sk_pid_alive "$SAKER_RUN/podman.pid" && sk_stop_pidfile "$SAKER_RUN/podman.pid"
	mkdir -p "${PODMAN_SOCK%/*}"
	rm -f "$PODMAN_SOCK"
	setsid podman system service -t 0 "unix://$PODMAN_SOCK" \
		</dev/null >"$SAKER_RUN/podman.log" 2>&1 9>&- &
	echo $! >"$SAKER_RUN/podman.pid"
	sk_wait_api "$PODMAN_SOCK" 30 "$SAKER_RUN/podman.log"
	sk_log "podman API started on $PODMAN_SOCK (pid $(cat "$SAKER_RUN/podman.pid"))"
fi

if ! podman image exists "$SAKER_IMAGE"; then
	sk_rootfs_tar | podman import -q --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' \
		- "$SAKER_IMAGE" >/dev/null
	sk_log "imported $SAKER_IMAGE"
fi

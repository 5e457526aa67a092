#!/usr/bin/env bash
# setup-containerd.sh — makes containerd and its CRI plugin (runtime.v1)
# usable for saker's tests on a fresh Debian 12, as root, idempotently:
#   - installs containerd (via docker.io, which brings it), runc, busybox-static;
#   - writes /etc/saker-test/containerd.toml (CRI on with this VM kind's fixes);
#   - starts containerd on /run/containerd/containerd.sock unless something
#     answers there already (pid and log in /run/saker-test/);
#   - imports, into namespaces k8s.io and default, the pause image the CRI
#     plugin wants (registry.k8s.io/pause:3.6) and the busybox test image
#     localhost/saker-test:1, both built here from busybox-static (no registry).
# Undo with teardown-containerd.sh (it stops only what this script started).
#
# Pods made against it must use linux.cgroup_parent, host network
# (namespace_options.network=NODE) and an empty hostname, so CNI is skipped:
# see tests/tools/sk_crictl.c.
set -euo pipefail

# SAKER_CONTAINERD_NAME names an instance (default "containerd": the
# standard socket, root and state dirs); another name gives a second,
# independent containerd (/run/NAME/containerd.sock, /var/lib/NAME), which
# is how these scripts are tested on a machine whose containerd is in use.
NAME=${SAKER_CONTAINERD_NAME:-containerd}
RUN=/run/saker-test
CONF_DIR=/etc/saker-test
CONF=$CONF_DIR/$NAME.toml
SOCK=/run/$NAME/containerd.sock
ROOT=/var/lib/$NAME
STATE=/run/$NAME
PAUSE_IMAGE=registry.k8s.io/pause:3.6
TEST_IMAGE=localhost/saker-test:1

. "$(dirname "$0")/common.sh" # sk_apt_install
log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"

# One containerd set-up/tear-down at a time across sessions (fd 9 is
# released when the script exits; daemons started here must not inherit it).
mkdir -p "$RUN"
exec 9>"$RUN/$NAME.lock"
flock -w 120 9 || die "timed out waiting for $RUN/$NAME.lock"


# The CRI plugin on this VM kind: the capability bounding set lacks
# CAP_SYS_RESOURCE, so the sandbox's oom_score_adj -998 cannot be set unless
# restricted; the pause image is local; CNI gets an empty conf dir because
# test pods use the host network (CNI is never called for them).
write_config() {
	local want
	want=$(cat <<EOF
# written by saker scripts/containers/setup-containerd.sh
version = 2
root = "$ROOT"
state = "$STATE"
[grpc]
  address = "$SOCK"
[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    restrict_oom_score_adj = true
    sandbox_image = "$PAUSE_IMAGE"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$CONF_DIR/cni/net.d"
EOF
)
	mkdir -p "$CONF_DIR/cni/net.d"
	[ "$(cat "$CONF" 2>/dev/null)" = "$want" ] || printf '%s\n' "$want" >"$CONF"
}

answers() { [ -S "$SOCK" ] && timeout 5 ctr --address "$SOCK" version >/dev/null 2>&1; }

pid_alive() {
	local pid
	[ -f "$1" ] && pid=$(cat "$1") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

start_containerd() {
	if answers; then
		log "containerd already answers on $SOCK"
		# not ours: its config may lack restrict_oom_score_adj or the CRI plugin
		[ -f "$RUN/$NAME.pid" ] ||
			log "warning: not started by this script; CRI pods need $CONF's settings"
		return 0
	fi
	if pid_alive "$RUN/$NAME.pid"; then
		die "containerd pid $(cat "$RUN/$NAME.pid") runs but $SOCK does not answer; run teardown-containerd.sh"
	fi
	# 9>&-: the daemon must not inherit (and so hold forever) the lock
	setsid containerd --config "$CONF" </dev/null >"$RUN/$NAME.log" 2>&1 9>&- &
	echo $! >"$RUN/$NAME.pid"
	local i
	for ((i = 0; i < 300; i++)); do
		answers && break
		pid_alive "$RUN/$NAME.pid" || break
		sleep 0.1
	done
	if ! answers; then
		tail -n 20 "$RUN/$NAME.log" >&2 || true
		die "containerd did not answer on $SOCK within 30 s"
	fi
	log "containerd started on $SOCK (pid $(cat "$RUN/$NAME.pid"))"
}

# Writes to stdout a docker-archive (what `docker save` makes: manifest.json,
# the image config and one layer tar) of a busybox-static rootfs, named $1
# and running $2 (a JSON array) by default. Built by hand so that neither a
# registry nor podman/docker is needed.
busybox_archive() {
	local name=$1 cmd=$2 d root
	d=$(mktemp -d)
	root=$d/rootfs
	mkdir -p "$root"/bin "$root"/etc "$root"/proc "$root"/sys "$root"/dev "$root"/tmp \
		"$root"/root "$root"/www
	cp /bin/busybox "$root"/bin/busybox
	local a
	for a in $("$root"/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$root"/etc/passwd
	echo 'root:x:0:' >"$root"/etc/group
	echo 'saker-test' >"$root"/www/index.html
	# fixed owner and mtime: the same input gives the same layer digest
	tar -C "$root" --owner=0 --group=0 --numeric-owner --mtime=@0 --sort=name \
		-cf "$d/layer.tar" .
	local diff cfg
	diff=$(sha256sum "$d/layer.tar" | cut -d' ' -f1)
	mkdir -p "$d/out/$diff"
	mv "$d/layer.tar" "$d/out/$diff/layer.tar"
	cat >"$d/config.json" <<EOF
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Env":["PATH=/bin"],"Cmd":$cmd,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:$diff"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"saker setup-containerd.sh"}]}
EOF
	cfg=$(sha256sum "$d/config.json" | cut -d' ' -f1)
	mv "$d/config.json" "$d/out/$cfg.json"
	printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]\n' \
		"$cfg" "$name" "$diff" >"$d/out/manifest.json"
	tar -C "$d/out" -cf - .
	rm -rf "$d"
}

have_image() { ctr --address "$SOCK" -n "$1" images ls -q 2>/dev/null | grep -xF "$2" >/dev/null; }

import_image() {
	local ns=$1 name=$2 cmd=$3
	have_image "$ns" "$name" && return 0
	busybox_archive "$name" "$cmd" | ctr --address "$SOCK" -n "$ns" images import - >/dev/null
	have_image "$ns" "$name" || die "import of $name into namespace $ns failed"
	log "imported $name into namespace $ns"
}

sk_apt_install docker.io containerd runc busybox-static
write_config
start_containerd
ctr --address "$SOCK" plugins ls 2>/dev/null | grep 'io.containerd.grpc.v1 *cri .* ok' >/dev/null ||
	die "the CRI plugin of the containerd on $SOCK is not loaded (see $RUN/$NAME.log)"
for ns in k8s.io default; do
	# the pause process only has to live until the sandbox is killed
	import_image "$ns" "$PAUSE_IMAGE" '["/bin/sleep","inf"]'
	import_image "$ns" "$TEST_IMAGE" '["/bin/sh"]'
done
log "ready: $SOCK (namespaces k8s.io, default; images $PAUSE_IMAGE, $TEST_IMAGE)"

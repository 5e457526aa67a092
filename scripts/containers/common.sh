# common.sh — shared helpers for the container runtime set-up scripts
# (sourced by setup-podman.sh, setup-docker.sh and teardown.sh, never run).
#
# State that setup creates and teardown removes lives in /run/saker-test:
# pid files of the daemons setup started, their logs, and a lock so that two
# sessions (or CI jobs) running setup at the same time do not race.

# shellcheck disable=SC2034 # used by the scripts that source this file
SAKER_RUN=/run/saker-test
SAKER_IMAGE=localhost/saker-test:1
PODMAN_SOCK=/run/podman/podman.sock
DOCKER_SOCK=/var/run/docker.sock

sk_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
sk_die() { sk_log "error: $*"; exit 1; }

sk_need_root() {
	[ "$(id -u)" = 0 ] || sk_die "must run as root"
}

# Serialises set-up/tear-down across concurrent callers (fd 9 stays open
# until the script exits, which releases the lock).
sk_lock() {
	# Daemons started under the lock must not inherit fd 9 (`9>&-`), or they
	# would hold it for their whole life.
	mkdir -p "$SAKER_RUN"
	exec 9>"$SAKER_RUN/setup.lock"
	flock -w 600 9 || sk_die "timed out waiting for $SAKER_RUN/lock"
}

# Installs the Debian packages that are missing (one apt-get update at most).
# Another apt user may hold the lock: wait for it rather than fail.
# SK_APT_OPTS adds apt-get options (e.g. --no-install-recommends).
sk_apt_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	sk_log "installing ${missing[*]}"
	# docker.io's postinst would start dockerd with its default bridge and
	# iptables rules; a policy-rc.d that says "no" stops that (removed after).
	local own_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own_policy=1
	fi
	local rc=0
	apt-get -o DPkg::Lock::Timeout=600 update -qq || rc=$?
	if [ $rc -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
			${SK_APT_OPTS:+"$SK_APT_OPTS"} "${missing[@]}" >/dev/null || rc=$?
	fi
	[ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
	[ $rc -eq 0 ] || sk_die "apt-get install ${missing[*]} failed ($rc)"
}

# True when the Docker Engine API at unix socket $1 answers /_ping.
sk_api_up() {
	[ -S "$1" ] && curl -fsS --max-time 2 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1
}

# Waits up to $2 seconds for the API at $1; fails with the daemon's log $3.
sk_wait_api() {
	local sock=$1 secs=$2 log=$3 i
	for ((i = 0; i < secs * 10; i++)); do
		sk_api_up "$sock" && return 0
		sleep 0.1
	done
	[ -f "$log" ] && tail -n 20 "$log" >&2
	sk_die "$sock did not answer within ${secs}s"
}

# True when the pid in file $1 is a live process.
sk_pid_alive() {
	local pid
	[ -f "$1" ] && pid=$(cat "$1") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# Builds a tar stream of a minimal rootfs (busybox-static and its applets).
sk_rootfs_tar() {
	local d
	d=$(mktemp -d)
	mkdir -p "$d"/bin "$d"/etc "$d"/proc "$d"/sys "$d"/dev "$d"/tmp "$d"/root
	cp /bin/busybox "$d"/bin/busybox
	local a
	for a in $("$d"/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$d/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$d"/etc/passwd
	echo 'root:x:0:' >"$d"/etc/group
	tar -C "$d" -c .
	rm -rf "$d"
}

# Stops the process whose pid is in file $1 (TERM, then KILL after 20 s) and
# removes the file. Only processes setup started have pid files here.
sk_stop_pidfile() {
	local f=$1 pid i
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 200; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	fi
	rm -f "$f"
}

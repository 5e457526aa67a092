#!/usr/bin/env bash
# rules_noise.sh — false-alarm bench for rule sets. Runs a scripted benign
# workload that a node really runs (a package installed and removed with apt,
# a compiler build of saker plus its unit tests, podman containers started,
# run and exec'd into, logrotate -f, a systemd service restart when systemd is
# PID 1, ssh logins to localhost from the allowed loopback address) while two
# saker instances watch live: one with saker's embedded default rules, one
# with Falco's stable rules (../shared/fixtures/upstream-rules/falco_rules.yaml)
# run through saker. Prints the alerts each rule raised on the workload.
#
# Usage (root, kernel BTF): bench/rules_noise.sh [short]
#   short  skips the full build (builds only the event and util modules).
# Env: SAKER_BIN (default build/saker), OUT (default /tmp/saker-rules-noise).
#
# Only the workload's own alerts are counted: its processes carry the
# environment variable SK_NOISE (inherited through apt, make, ssh sessions via
# sshd's SetEnv) and its containers are named sk-noise-*. The workload runs in
# the root cgroups so that a session cgroup is not mistaken for a container.
# Missing tools (logrotate, sshd) are installed before the measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SAKER=${SAKER_BIN:-$ROOT/build/saker}
OUT=${OUT:-/tmp/saker-rules-noise}
UPSTREAM=$ROOT/../shared/fixtures/upstream-rules/falco_rules.yaml
IMAGE=localhost/saker-test:1
MODE=${1:-full}
MARK=noise-$$

[ "$(id -u)" = 0 ] || { echo "rules_noise.sh: needs root" >&2; exit 1; }
[ -e /sys/kernel/btf/vmlinux ] || { echo "rules_noise.sh: needs kernel BTF" >&2; exit 1; }
[ -x "$SAKER" ] || { echo "rules_noise.sh: $SAKER not built" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT"

# Runs "$@" in the root cgroups (a session cgroup named like a container id
# would make the workload look containerised).
HOST_SH='for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/*/cgroup.procs; do [ -w "$f" ] && echo $$ > "$f" 2>/dev/null; done; exec "$@"'
note() { printf '== %s\n' "$*" | tee -a "$OUT/steps.txt"; }

# ------------------------------------------------------------------ set-up
apt_quiet() {
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -qq "$@" >/dev/null
}
need=()
command -v logrotate >/dev/null || need+=(logrotate)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
if [ ${#need[@]} -gt 0 ]; then
	note "set-up: installing ${need[*]} (not measured)"
	own_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then # do not let the package start services
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own_policy=1
	fi
	apt_quiet update || true
	apt_quiet install -y "${need[@]}" || note "set-up: could not install ${need[*]}"
	[ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
fi
have_podman=0
if command -v podman >/dev/null && podman image exists "$IMAGE" 2>/dev/null; then
	have_podman=1
fi

# our own sshd on a loopback port: keys and config in $OUT, nothing in /root
SSHD_PID=
if [ -x /usr/sbin/sshd ]; then
	mkdir -p /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$OUT/hostkey"
	ssh-keygen -q -t ed25519 -N '' -f "$OUT/userkey"
	cp "$OUT/userkey.pub" "$OUT/authorized_keys"
	SK_NOISE=$MARK sh -c "$HOST_SH" sh /usr/sbin/sshd -D -p 2222 -o ListenAddress=127.0.0.1 -h "$OUT/hostkey" \
		-o AuthorizedKeysFile="$OUT/authorized_keys" -o StrictModes=no \
		-o PermitRootLogin=prohibit-password -o PasswordAuthentication=no \
		-o SetEnv=SK_NOISE=$MARK -o PidFile="$OUT/sshd.pid" -E "$OUT/sshd.log" &
	SSHD_PID=$!
fi

cleanup() {
	[ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null || true
	for p in "${SAKERS[@]:-}"; do [ -n "$p" ] && kill -INT "$p" 2>/dev/null || true; done
	if [ $have_podman = 1 ]; then
		podman ps -aq --filter name=sk-noise- | xargs -r podman rm -f >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT

# ------------------------------------------------------------------ sakers
cat >"$OUT/saker.yaml" <<EOF
json_output: true
log_stderr: true
log_level: info
rule_matching: all
load_plugins: [container]
stdout_output:
  enabled: true
append_output:
  - match:
      source: syscall
    extra_fields: ["proc.env[SK_NOISE]", container.name]
EOF
SAKERS=()
NAMES=()
start_saker() { # name, rules args...
	local name=$1
	shift
	NAMES+=("$name")
	"$SAKER" -c "$OUT/saker.yaml" -o engine.kind=modern_ebpf "$@" \
		>"$OUT/$name.jsonl" 2>"$OUT/$name.err" </dev/null &
	SAKERS+=($!)
}
start_saker saker-defaults
if [ -f "$UPSTREAM" ]; then
	start_saker falco-stable -r "$UPSTREAM"
else
	note "upstream rules not found at $UPSTREAM: only saker's defaults measured"
fi
for name in "${NAMES[@]}"; do
	f=$OUT/$name.err
	for _ in $(seq 600); do
		grep -q "Live capture started" "$f" && break
		sleep 0.1
	done
	grep -q "Live capture started" "$f" || { cat "$f" >&2; exit 1; }
done

# ---------------------------------------------------------------- workload
# Each step runs in the root cgroups with SK_NOISE set.
step() { # description, command...
	local what=$1
	shift
	local t0=$SECONDS
	if SK_NOISE=$MARK sh -c "$HOST_SH" sh "$@" >>"$OUT/workload.log" 2>&1; then
		note "$what ($((SECONDS - t0)) s)"
	else
		note "$what: FAILED (see $OUT/workload.log)"
	fi
}
T0=$SECONDS
step "apt-get install hello" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -q install hello
step "run hello" hello
step "apt-get remove --purge hello" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -q remove --purge hello
if [ "$MODE" = short ]; then
	step "compiler build (make, util+event modules)" sh -c \
		"cmake -S '$ROOT' -B '$OUT/build' -G 'Unix Makefiles' -DCMAKE_BUILD_TYPE=Release >/dev/null && make -C '$OUT/build' -j2 sk_util sk_event"
else
	step "compiler build of saker (make -j2)" sh -c \
		"cmake -S '$ROOT' -B '$OUT/build' -G 'Unix Makefiles' -DCMAKE_BUILD_TYPE=Release >/dev/null && make -C '$OUT/build' -j2"
	step "saker unit tests (ctest)" ctest --test-dir "$OUT/build" -j2 --output-on-failure
fi
if [ $have_podman = 1 ]; then
	step "podman run (3 short containers)" sh -c "
		podman run --rm --name sk-noise-a --network none $IMAGE true &&
		podman run --rm --name sk-noise-b --network none $IMAGE sh -c 'ls / >/dev/null; cat /etc/passwd >/dev/null; echo hi > /tmp/out' &&
		podman run --rm --name sk-noise-c --network none -e A=1 $IMAGE sh -c 'for i in 1 2 3; do date; sleep 0.2; done'"
	step "podman long-running container with exec and stop" sh -c "
		podman run -d --name sk-noise-d --network none $IMAGE sleep 300 >/dev/null &&
		podman exec sk-noise-d ps &&
		podman exec sk-noise-d sh -c 'ls /proc >/dev/null' &&
		podman stop -t 1 sk-noise-d >/dev/null && podman rm sk-noise-d >/dev/null"
else
	note "podman or $IMAGE missing (scripts/containers/setup-podman.sh): container step skipped"
fi
if command -v logrotate >/dev/null; then
	step "logrotate -f /etc/logrotate.conf" logrotate -f /etc/logrotate.conf
else
	note "logrotate missing: step skipped"
fi
if [ "$(cat /proc/1/comm)" = systemd ]; then
	svc=$(systemctl list-units --type=service --state=running --no-legend | awk '{print $1}' |
		grep -E '^(cron|ssh|rsyslog|systemd-journald)\.service$' | head -1 || true)
	if [ -n "$svc" ]; then
		step "systemctl restart $svc" systemctl restart "$svc"
	fi
else
	note "systemd is not PID 1 here ($(cat /proc/1/comm)): service restart step skipped"
fi
if [ -n "$SSHD_PID" ]; then
	sleep 0.5
	for i in 1 2 3; do
		step "ssh root@127.0.0.1 (login $i)" ssh -p 2222 -i "$OUT/userkey" -o BatchMode=yes \
			-o StrictHostKeyChecking=no -o UserKnownHostsFile="$OUT/known_hosts" root@127.0.0.1 \
			'id; uname -a; ls /etc >/dev/null'
	done
else
	note "sshd missing: ssh step skipped"
fi
note "workload took $((SECONDS - T0)) s"
sleep 3
for p in "${SAKERS[@]}"; do kill -INT "$p"; wait "$p" || true; done
SAKERS=()

# ------------------------------------------------------------------ report
python3 - "$OUT" "$MARK" <<'EOF' | tee "$OUT/report.txt"
import collections, json, pathlib, sys
out, mark = pathlib.Path(sys.argv[1]), sys.argv[2]
for f in sorted(out.glob("*.jsonl")):
    counts, total, other = collections.Counter(), 0, 0
    for line in f.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        a = json.loads(line)
        fl = a.get("output_fields", {})
        ours = fl.get("proc.env[SK_NOISE]") == mark or str(fl.get("container.name")).startswith("sk-noise-")
        if ours:
            counts[a["rule"]] += 1
            total += 1
        else:
            other += 1
    print(f"{f.stem}: {total} alerts on the workload ({other} from other activity on the machine, not counted)")
    for rule, n in counts.most_common():
        print(f"  {n:6d}  {rule}")
EOF

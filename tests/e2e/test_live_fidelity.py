"""test_live_fidelity.py — live fidelity (issue 12): saker never reports its
own activity; fd.*ip.name compares the endpoint with the addresses of the
host names used in the rules; the exec origin flags (memfd, overlay upper
layer) come from the probe.

- self-noise: saker started with the three upstream rules files on this
  machine gives no alert about its own process (its /proc scan reads every
  /proc/PID/environ at start) in its first 10 s; the total is reported.
  Then (with podman) a binary written into a container and run fires the
  upstream "Drop and execute new binary in container", and a container
  connecting to the address /etc/hosts gives kubernetes.default.svc.cluster.local
  fires "Contact K8S API Server From Container".
- names: /etc/hosts gets two names for loopback addresses (restored after):
  a rule on `fd.sip.name = "saker-e2e.test"` fires on a connect to
  127.0.0.2 and not on 127.0.0.3, the K8S API rule's shape
  (`fd.sip.name = "kubernetes.default.svc.cluster.local"`) fires on its
  address, and /metrics counts the resolutions.
- fds received over a unix socket (SCM_RIGHTS) are read from /proc, as
  libsinsp does: a dup of one names its file, and a received TCP socket
  its connection.
- exe flags: an exec from a memfd is flagged; in a podman container an
  executable copied into the writable layer has proc.is_exe_upper_layer =
  true, one from the image false (skips without podman).

Needs root and kernel BTF: skips loudly otherwise.
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

import pytest

import containers_rt as rt
from test_live import Saker, live_unavailable, skip_loudly

UPSTREAM = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"]
HOSTS = "/etc/hosts"
NAME = "saker-e2e.test"
K8S = "kubernetes.default.svc.cluster.local"
PORT = 47911
METRICS_PORT = 47912

RULES = f"""
- rule: E2E Ready
  desc: sentinel
  condition: evt.type in (open, openat) and evt.dir = < and fd.name startswith /tmp/saker-e2e-ready-
  output: ready file=%fd.name pid=%proc.pid
  priority: DEBUG

- rule: E2E Named Server
  desc: a connection to the test's host name
  condition: evt.type = connect and evt.dir = < and fd.sip.name = "{NAME}"
  output: named server (ip=%fd.sip name=%fd.sip.name pid=%proc.pid)
  priority: WARNING

- rule: E2E K8S API Shape
  desc: the upstream K8S API rule's comparison
  condition: evt.type = connect and evt.dir = < and fd.sip.name = "{K8S}"
  output: k8s api (ip=%fd.sip pid=%proc.pid)
  priority: NOTICE

- rule: E2E Unresolvable
  desc: a name that does not resolve matches nothing
  condition: evt.type = connect and evt.dir = < and fd.sip.name in (no-such-host.invalid)
  output: never (pid=%proc.pid)
  priority: NOTICE

- rule: E2E Passed Fd Dup
  desc: a dup of an fd whose name holds the test's marker (an fd received over SCM_RIGHTS)
  condition: evt.type in (dup, dup2, dup3) and evt.dir = < and fd.name contains scm-passed-marker
  output: passed fd dup (pid=%proc.pid fd=%fd.num name=%fd.name type=%fd.type)
  priority: WARNING

- rule: E2E Passed Socket Dup
  desc: a dup onto fd 101 of an IPv4 socket (the test's received socket)
  condition: evt.type in (dup2, dup3) and evt.dir = < and evt.rawres = 101 and fd.type = ipv4
  output: passed socket dup (pid=%proc.pid name=%fd.name type=%fd.type)
  priority: WARNING

- rule: E2E Exe Flags
  desc: every exec with its origin flags
  condition: evt.type in (execve, execveat) and evt.dir = < and evt.rawres = 0
  output: >
    exec (pid=%proc.pid exe=%proc.exepath memfd=%proc.is_exe_from_memfd
    upper=%proc.is_exe_upper_layer lower=%proc.is_exe_lower_layer
    writable=%proc.is_exe_writable container=%container.id)
  priority: DEBUG
"""

CONFIG = f"""\
json_output: true
log_stderr: true
log_level: info
priority: debug
rule_matching: all
stdout_output:
  enabled: true
webserver:
  enabled: true
  listen_port: {METRICS_PORT}
  listen_address: 127.0.0.1
  prometheus_metrics_enabled: true
metrics:
  enabled: true
  interval: 1s
dns_names:
  refresh_interval_s: 2
"""


def exec_in(cid, script):
    rt.sh(["podman", "exec", cid, "sh", "-c", script])


def remove_now(cid):
    rt.sh(["podman", "rm", "-f", "-t", "0", cid], check=False)


def k8s_api_from_container(sk):
    """A host-network container connects to the address /etc/hosts gives
    the K8S API name: the upstream rule's alert, or None."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.4", PORT))
    srv.listen(4)
    srv.settimeout(10)
    # accepts and closes, so that nc ends
    th = threading.Thread(target=lambda: srv.accept()[0].close(), daemon=True)
    th.start()
    r = rt.sh(["podman", "run", "-d", "--network", "host", rt.IMAGE, "sleep", "100"])
    cid = r.stdout.strip().splitlines()[-1]
    try:
        t = time.monotonic()
        rt.sh(["podman", "exec", cid, "/bin/busybox", "timeout", "5", "/bin/busybox", "nc",
               "-w", "1", "127.0.0.4", str(PORT)], check=False, timeout=30)
        a, _ = sk.wait(lambda a: a["rule"] == "Contact K8S API Server From Container", t, 3)
        return a
    finally:
        remove_now(cid)
        srv.close()


def need_live():
    why = live_unavailable()
    if why:
        skip_loudly(why)


def test_no_self_alerts(saker_bin, fixtures, hosts_entries, tmp_path):
    need_live()
    files = [fixtures / "upstream-rules" / f for f in UPSTREAM]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        pytest.skip(f"upstream rules missing: {missing}")
    conf = tmp_path / "saker.yaml"
    # every alert carries proc.pid (other saker instances may run on this
    # machine: only this one's pid counts)
    conf.write_text("json_output: true\nlog_stderr: true\nlog_level: info\n"
                    "stdout_output:\n  enabled: true\n"
                    "append_output:\n  - match:\n      source: syscall\n"
                    "    extra_fields: [proc.pid]\n")
    sk = Saker(saker_bin, ["-c", str(conf), *[a for f in files for a in ("-r", str(f))]],
               tmp_path)
    drift = None
    try:
        assert sk.wait_log("Live capture started"), sk.stderr()[-2000:]
        time.sleep(10)
        alerts = [a for _, a in sk.alerts]
        own = [a for a in alerts if a["output_fields"].get("proc.pid") == sk.p.pid]
        sys.stderr.write(f"\n*** self-noise: {len(alerts)} alerts in 10 s, {len(own)} about "
                         f"saker: {sorted({a['rule'] for a in own})}; all: "
                         f"{sorted({a['rule'] for a in alerts})}\n")
        assert not own, json.dumps(own[:3], indent=1)
        # then container drift fires the upstream rule (when podman is here)
        if not rt.setup("podman"):
            cid = rt.run_container("podman")
            try:
                t = time.monotonic()
                exec_in(cid, "cp /bin/busybox /tmp/dropped; /tmp/dropped true; exit 0")
                drift, _ = sk.wait(lambda a: a["rule"] == "Drop and execute new binary in "
                                   "container", t, 3)
            finally:
                remove_now(cid)
            assert drift, "the upstream drift rule did not fire"
            k8s = k8s_api_from_container(sk)
            assert k8s, "the upstream K8S API rule did not fire"
            assert "127.0.0.4" in k8s["output"], k8s
    finally:
        rc = sk.stop()
    assert rc == 0, sk.stderr()[-2000:]


@pytest.fixture(scope="module")
def hosts_entries():
    """Adds the test's names to /etc/hosts; restores the file after."""
    if os.geteuid() != 0:
        pytest.skip("not root: cannot edit /etc/hosts")
    with open(HOSTS) as f:
        saved = f.read()
    with open(HOSTS, "a") as f:
        f.write(f"\n127.0.0.2 {NAME}\n127.0.0.4 {K8S}\n")
    try:
        yield
    finally:
        with open(HOSTS, "w") as f:
            f.write(saved)


@pytest.fixture(scope="module")
def session(saker_bin, hosts_entries, tmp_path_factory):
    need_live()
    tmp = tmp_path_factory.mktemp("fidelity")
    (tmp / "rules.yaml").write_text(RULES)
    (tmp / "saker.yaml").write_text(CONFIG)
    sk = Saker(saker_bin, ["-c", str(tmp / "saker.yaml"), "-r", str(tmp / "rules.yaml")], tmp)
    try:
        if not sk.ready():
            sk.stop()
            pytest.fail(f"saker live did not come up:\n{sk.stderr()[-2000:]}")
        yield sk
    finally:
        sk.stop()


def connect(ip):
    """A TCP connection to ip:PORT (a listener is bound there); returns the
    pid that made it (a child, so its alerts are told apart)."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((ip, PORT))
    srv.listen(4)
    try:
        p = subprocess.run([sys.executable, "-c",
                            f"import os,socket; socket.create_connection(('{ip}', {PORT})); "
                            "print(os.getpid())"], capture_output=True, text=True, timeout=20)
        return int(p.stdout.strip()), time.monotonic()
    finally:
        srv.close()


def by_pid(rule, pid):
    return lambda a: a["rule"] == rule and a["output_fields"].get("proc.pid") == pid


def test_sip_name_matches_resolved_address(session):
    pid, t = connect("127.0.0.2")
    a, _ = session.wait(by_pid("E2E Named Server", pid), t, 3)
    assert a, session.stderr()[-1500:]
    assert a["output_fields"]["fd.sip"] == "127.0.0.2"
    assert a["output_fields"]["fd.sip.name"] == NAME


def test_sip_name_other_address(session):
    pid, t = connect("127.0.0.3")
    time.sleep(2)
    assert not session.find(by_pid("E2E Named Server", pid))
    assert not session.find(by_pid("E2E Unresolvable", pid))


def test_k8s_api_shape(session):
    pid, t = connect("127.0.0.4")
    a, _ = session.wait(by_pid("E2E K8S API Shape", pid), t, 3)
    assert a, session.stderr()[-1500:]
    assert not session.find(by_pid("E2E Named Server", pid))


def test_dns_metrics(session):
    time.sleep(2.5)  # one refresh at least
    with urllib.request.urlopen(f"http://127.0.0.1:{METRICS_PORT}/metrics", timeout=5) as r:
        text = r.read().decode()
    vals = {}
    for line in text.splitlines():
        if line.startswith("saker_dns_"):
            k, v = line.split()[:2]
            vals[k] = float(v)
    assert vals.get("saker_dns_names") == 3, text[-800:]
    # two names resolve at every pass, the .invalid one fails at every pass
    assert vals.get("saker_dns_resolutions_total", 0) >= 4, vals
    assert vals.get("saker_dns_failures_total", 0) >= 2, vals


def truth(v):
    return v in (True, "true")


def exec_alert(session, pid, t):
    """The exec alert of pid after the python that started it."""
    a, _ = session.wait(lambda a: by_pid("E2E Exe Flags", pid)(a) and
                        "python" not in str(a["output_fields"].get("proc.exepath")), t, 3)
    assert a, session.stderr()[-1500:]
    return a["output_fields"]


def test_exec_from_memfd(session):
    code = ("import os; fd = os.memfd_create('sk', 0); "
            "os.write(fd, open('/bin/true', 'rb').read()); "
            "os.execve(fd, ['sk'], {})")
    p = subprocess.Popen([sys.executable, "-c", code])
    p.wait(timeout=20)
    assert p.returncode == 0
    f = exec_alert(session, p.pid, time.monotonic())
    assert truth(f["proc.is_exe_from_memfd"]), f
    assert not truth(f["proc.is_exe_upper_layer"]), f
    p = subprocess.Popen(["/bin/true"])
    p.wait(timeout=20)
    f = exec_alert(session, p.pid, time.monotonic())
    assert not truth(f["proc.is_exe_from_memfd"]), f


def test_exe_upper_layer_in_container(session):
    why = rt.setup("podman")
    if why:
        pytest.skip(f"podman unavailable: {why}")
    cid = rt.run_container("podman")
    try:
        tag = uuid.uuid4().hex[:8]
        t = time.monotonic()
        exec_in(cid, f"cp /bin/busybox /tmp/drift-{tag}; /tmp/drift-{tag} true; "
                "/bin/busybox true; exit 0")
        deadline = t + 4
        up = low = None
        while time.monotonic() < deadline and (up is None or low is None):
            for _, a in session.find(lambda a: a["rule"] == "E2E Exe Flags" and
                                     a["output_fields"].get("container.id") == cid[:12]):
                f = a["output_fields"]
                if f["proc.exepath"] == f"/tmp/drift-{tag}":
                    up = f
                elif f["proc.exepath"] == "/bin/busybox":
                    low = f
            time.sleep(0.1)
        assert up and truth(up["proc.is_exe_upper_layer"]), up
        assert low and not truth(low["proc.is_exe_upper_layer"]), low
        assert truth(low["proc.is_exe_lower_layer"]), low
    finally:
        remove_now(cid)


# The child receives fds it never opened over a socketpair (SCM_RIGHTS), then
# dups them: the file's name and the socket's tuple come from /proc (read when
# saker gets to the recvmsg, as libsinsp does: the child must still be there).
PASS_FDS = r"""
import array, os, socket, sys, time
path = sys.argv[1]
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
pid = os.fork()
if pid == 0:
    a.close()
    msg, anc, flags, addr = b.recvmsg(16, socket.CMSG_LEN(8))
    fds = array.array("i"); fds.frombytes(anc[0][2])
    os.dup2(fds[0], 100)
    os.dup2(fds[1], 101)
    time.sleep(2)  # saker reads /proc/PID/fd when it gets to the recvmsg
    os._exit(0)
b.close()
f = os.open(path, os.O_RDONLY)
c = socket.create_connection(srv.getsockname())
a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [f, c.fileno()]))])
os.waitpid(pid, 0)
print(pid)
"""


def test_fds_passed_over_unix_socket(session, tmp_path):
    path = tmp_path / "scm-passed-marker"
    path.write_text("x")
    t = time.monotonic()
    p = subprocess.run([sys.executable, "-c", PASS_FDS, str(path)], capture_output=True,
                       text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    child = int(p.stdout.strip())
    a, _ = session.wait(by_pid("E2E Passed Fd Dup", child), t, 3)
    assert a, "no alert: the received fd stayed unknown\n" + session.stderr()[-1500:]
    f = a["output_fields"]
    assert f["fd.name"] == str(path), f
    assert f["fd.type"] == "file", f
    a, _ = session.wait(by_pid("E2E Passed Socket Dup", child), t, 3)
    assert a, "no alert: the received socket stayed unknown\n" + session.stderr()[-1500:]
    f = a["output_fields"]
    assert f["fd.type"] == "ipv4" and f["fd.name"].startswith("127.0.0.1:"), f

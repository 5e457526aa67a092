"""test_live.py — saker on the running system (engine.kind=modern_ebpf).

Real actions (read /etc/shadow, write below /etc and /usr/bin, a shell with
a terminal, netcat listening and connecting on loopback, a symlink to
/etc/shadow, a connection to a port a rule names) must raise the alert of
the rule naming them within 2 s, with the right process, fd and user
fields; their benign twins must not. The same run is recorded with -w and
the replay of that file must give the same alerts. The embedded default
rules must work live too. Needs root and kernel BTF: skips loudly otherwise.

Processes started from a session may sit in a memory cgroup whose last
element is a hex id, which saker (like Falco) reads as a container: actions
whose container.id is checked move themselves to the root cgroups first.
"""
import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest

from conftest import run

DATA = pathlib.Path(__file__).resolve().parent / "data"
RULES = DATA / "live_rules.yaml"
LATENCY = 2.0  # seconds from the end of an action to its alert
NAMED_PORT = 47811  # the port rule "E2E Connect Named Port" names

# Moves the shell to the root of every cgroup hierarchy, then execs "$@"
# (same pid): the action is then a host process, container.id "host".
HOST_SH = ('for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/*/cgroup.procs; do '
           '[ -w "$f" ] && echo $$ > "$f" 2>/dev/null; done; exec "$@"')


def host(argv):
    return ["sh", "-c", HOST_SH, "sh", *argv]


def live_unavailable():
    if os.geteuid() != 0:
        return "not root (the eBPF probe needs root)"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "no kernel BTF (/sys/kernel/btf/vmlinux)"
    return None


def skip_loudly(why):
    sys.stderr.write(f"\n*** test_live: SKIPPING live capture tests: {why} ***\n")
    pytest.skip(f"live capture unavailable: {why}")


class Saker:
    """A running `saker` with JSON alerts on stdout, collected by a thread
    with their arrival time."""

    def __init__(self, saker_bin, args, tmp):
        self.err_path = tmp / f"saker-{uuid.uuid4().hex[:8]}.err"
        self.errf = open(self.err_path, "w")
        self.p = subprocess.Popen([saker_bin, "-o", "json_output=true", "-o",
                                   "engine.kind=modern_ebpf", *args],
                                  stdout=subprocess.PIPE, stderr=self.errf, text=True,
                                  stdin=subprocess.DEVNULL)
        self.alerts = []  # (monotonic arrival, dict)
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stdout:
            if line.startswith("{"):
                with self.lock:
                    self.alerts.append((time.monotonic(), json.loads(line)))

    def stderr(self):
        return self.err_path.read_text()

    def find(self, pred):
        with self.lock:
            return [(t, a) for t, a in self.alerts if pred(a)]

    def wait(self, pred, since, timeout=LATENCY):
        """The first alert matching pred and its delay after `since`, or
        (None, None) when none came within timeout of `since`."""
        while True:
            hits = self.find(pred)
            if hits:
                return hits[0][1], hits[0][0] - since
            if time.monotonic() - since > timeout or self.p.poll() is not None:
                return None, None
            time.sleep(0.02)

    def wait_log(self, text, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.stderr():
                return True
            if self.p.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def ready(self, timeout=60):
        """True once a sentinel open raises rule E2E Ready."""
        path = f"/tmp/saker-e2e-ready-{uuid.uuid4().hex}"
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.p.poll() is None:
            with open(path, "w"):
                pass
            os.unlink(path)
            a, _ = self.wait(lambda a: a["rule"] == "E2E Ready" and
                             a["output_fields"].get("fd.name") == path, time.monotonic(), 0.5)
            if a:
                return True
        return False

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(2)
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.t.join(timeout=10)
        self.errf.close()
        return self.p.returncode


def of(rule, pid=None, **fields):
    def pred(a):
        if a["rule"] != rule:
            return False
        f = a["output_fields"]
        if pid is not None and f.get("proc.pid") != pid:
            return False
        return all(f.get(k) == v for k, v in fields.items())
    return pred


def fields_contain(rule, key, text):
    return lambda a: a["rule"] == rule and text in str(a["output_fields"].get(key))


def listener(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError as e:
        s.close()
        pytest.skip(f"loopback port {port} is busy: {e}")
    s.listen(8)
    return s


def act(argv, **kw):
    """Runs an action to completion; returns (pid, time it ended)."""
    kw.setdefault("stdout", subprocess.DEVNULL)
    kw.setdefault("stderr", subprocess.DEVNULL)
    kw.setdefault("stdin", subprocess.DEVNULL)
    p = subprocess.Popen(argv, **kw)
    p.wait(timeout=30)
    return p.pid, time.monotonic()


@pytest.fixture(scope="module")
def session(saker_bin, tmp_path_factory):
    """One live saker with the test rules, recording to a capture, through
    which every action and benign twin runs. Yields a dict of results that
    the tests below check: name -> (alert or None, delay), and the
    capture path."""
    why = live_unavailable()
    if why:
        skip_loudly(why)
    tmp = tmp_path_factory.mktemp("live")
    cap = tmp / "live.scap"
    sk = Saker(saker_bin, ["-r", str(RULES), "-w", str(cap)], tmp)
    try:
        if not sk.ready():
            sk.stop()
            err = sk.stderr()
            if "needs root" in err or "BTF" in err:
                skip_loudly(err.strip().splitlines()[-1])
            pytest.fail(f"saker live did not come up:\n{err}")
        res = {"pids": set(), "benign": []}
        tag = uuid.uuid4().hex[:10]

        def positive(name, pred_of_pid, argv, **kw):
            pid, t = act(argv, **kw)
            res["pids"].add(pid)
            res[name] = sk.wait(pred_of_pid(pid), t)
            res[name + ".pid"] = pid

        def benign(name, pred, argv=None, pid=None, **kw):
            if argv is not None:
                pid, _ = act(argv, **kw)
                res["pids"].add(pid)
            res["benign"].append((name, pred(pid)))

        # 1. /etc/shadow read by an untrusted program (a host process)
        positive("shadow", lambda pid: of("E2E Shadow Read", pid),
                 host(["cat", "/etc/shadow"]))
        benign("shadow", lambda pid: of("E2E Shadow Read", pid), host(["cat", "/etc/hostname"]))
        # 2. writes below /etc and /usr/bin
        etcf = f"/etc/saker-e2e-{tag}"
        binf = f"/usr/bin/saker-e2e-{tag}"
        try:
            positive("etc", lambda pid: of("E2E Write Below Etc", pid), host(["touch", etcf]))
            positive("usrbin", lambda pid: of("E2E Write Below Usr Bin", pid), ["touch", binf])
        finally:
            for f in (etcf, binf):
                if os.path.exists(f):
                    os.unlink(f)
        benign("etc", lambda pid: of("E2E Write Below Etc", pid),
               ["touch", str(tmp / f"saker-e2e-{tag}")])
        benign("usrbin", lambda pid: of("E2E Write Below Usr Bin", pid),
               ["cat", "/usr/bin/env"])
        # 3. a shell with a terminal (script gives it a pty)
        env = dict(os.environ, SHELL="/bin/sh")
        mark = f"saker-e2e-tty-{tag}"
        _, t = act(["script", "-qc", f"sh -c ': {mark}'", "/dev/null"], env=env)
        res["tty"] = sk.wait(fields_contain("E2E Terminal Shell", "proc.cmdline", mark), t)
        nomark = f"saker-e2e-notty-{tag}"
        act(["sh", "-c", f": {nomark}"], start_new_session=True)
        res["benign"].append(("tty", fields_contain("E2E Terminal Shell", "proc.cmdline", nomark)))
        # 4. netcat listening and connecting on loopback; python twins
        port = NAMED_PORT + 7
        nc = subprocess.Popen(["nc", "-l", "127.0.0.1", str(port)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        res["pids"].add(nc.pid)
        t = time.monotonic()
        res["nc_listen"] = sk.wait(of("E2E Netcat Listen", nc.pid), t)
        res["nc_listen.pid"] = nc.pid
        time.sleep(0.2)
        positive("nc_connect", lambda pid: of("E2E Netcat Connect", pid),
                 ["nc", "-z", "127.0.0.1", str(port)])
        nc.kill()
        nc.wait()
        py = listener(port)
        c = socket.create_connection(("127.0.0.1", port))
        py.accept()[0].close()
        c.close()
        py.close()
        me = os.getpid()
        res["benign"].append(("nc_listen", of("E2E Netcat Listen", me)))
        res["benign"].append(("nc_connect", of("E2E Netcat Connect", me)))
        # 5. a symlink over /etc/shadow
        link = str(tmp / f"shadow-link-{tag}")
        positive("symlink", lambda pid: of("E2E Symlink Shadow", pid),
                 ["ln", "-s", "/etc/shadow", link])
        benign("symlink", lambda pid: of("E2E Symlink Shadow", pid),
               ["ln", "-s", "/etc/hostname", link + "-benign"])
        # 6. a connection to the port a rule names, and to another one
        code = "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1]))).close()"
        ls = listener(NAMED_PORT)
        positive("port", lambda pid: of("E2E Connect Named Port", pid),
                 [sys.executable, "-c", code, str(NAMED_PORT)])
        ls.close()
        ls = listener(NAMED_PORT + 1)
        benign("port", lambda pid: of("E2E Connect Named Port", pid),
               [sys.executable, "-c", code, str(NAMED_PORT + 1)])
        ls.close()
        time.sleep(LATENCY)  # benign twins had as long as the actions
    finally:
        rc = sk.stop()
    res["rc"] = rc
    res["stderr"] = sk.stderr()
    res["cap"] = cap
    res["saker"] = sk
    yield res


def check(res, name):
    a, delay = res[name]
    assert a is not None, f"no alert for action '{name}' within {LATENCY} s"
    assert delay <= LATENCY, f"alert for '{name}' came after {delay:.2f} s"
    return a["output_fields"]


def test_shadow_read(session):
    f = check(session, "shadow")
    assert f["fd.name"] == "/etc/shadow"
    assert f["proc.name"] == "cat"
    assert f["proc.cmdline"] == "cat /etc/shadow"
    assert f["user.name"] == "root" and f["user.uid"] == 0
    assert f["container.id"] == "host"


def test_write_below_etc(session):
    f = check(session, "etc")
    assert f["fd.name"].startswith("/etc/saker-e2e-")
    assert f["proc.name"] == "touch" and f["user.name"] == "root"
    assert isinstance(f["fd.num"], int) and f["fd.num"] >= 0
    assert f["container.id"] == "host"


def test_write_below_usr_bin(session):
    f = check(session, "usrbin")
    assert f["fd.name"].startswith("/usr/bin/saker-e2e-")
    assert f["fd.directory"] == "/usr/bin"
    assert f["proc.name"] == "touch"


def test_terminal_shell(session):
    f = check(session, "tty")
    assert f["proc.name"] == "sh"
    assert f["proc.tty"] != 0
    assert f["user.name"] == "root"


def test_netcat(session):
    f = check(session, "nc_listen")
    assert f["proc.name"] == "nc"
    assert f["fd.sport"] == NAMED_PORT + 7
    f = check(session, "nc_connect")
    assert f["proc.name"] == "nc"
    assert f["fd.sport"] == NAMED_PORT + 7
    assert f["fd.name"].startswith("127.0.0.1:")
    assert f["fd.name"].endswith(f"->127.0.0.1:{NAMED_PORT + 7}")


def test_symlink_over_shadow(session):
    f = check(session, "symlink")
    assert f["evt.arg.target"] == "/etc/shadow"
    assert f["evt.arg.linkpath"].startswith(str(session["cap"].parent))
    assert f["proc.name"] == "ln"


def test_connect_named_port(session):
    f = check(session, "port")
    assert f["fd.name"].endswith(f"->127.0.0.1:{NAMED_PORT}")
    assert f["user.name"] == "root"


def test_benign_twins_silent(session):
    sk = session["saker"]
    loud = [name for name, pred in session["benign"] if sk.find(pred)]
    assert not loud, f"benign twins raised alerts: {loud}"


def test_clean_exit_and_counters(session):
    assert session["rc"] == 0, session["stderr"]
    assert "Syscall event stats:" in session["stderr"]
    assert "Live capture started, recording to" in session["stderr"]


def ours(alerts, pids):
    """(rule, output) of the alerts raised by the actions' processes."""
    return sorted((a["rule"], a["output"]) for a in alerts
                  if a["rule"].startswith("E2E") and a["rule"] != "E2E Ready"
                  and (a["output_fields"].get("proc.pid") in pids or
                       "saker-e2e-tty" in str(a["output_fields"].get("proc.cmdline"))))


def test_replay_of_recording_gives_same_alerts(session, saker_bin):
    cap = session["cap"]
    assert cap.exists() and cap.stat().st_size > 0
    r = run([saker_bin, "-r", str(RULES), "-o", "json_output=true", "-o", "engine.kind=replay",
             "-o", f"engine.replay.capture_file={cap}"], timeout=300)
    assert r.returncode == 0, r.stderr
    replayed = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    live = [a for _, a in session["saker"].alerts]
    want = ours(live, session["pids"])
    assert len(want) >= 8
    assert ours(replayed, session["pids"]) == want


def test_default_rules_live(saker_bin, tmp_path):
    why = live_unavailable()
    if why:
        skip_loudly(why)
    sk = Saker(saker_bin, [], tmp_path)
    try:
        assert sk.wait_log("Live capture started"), sk.stderr()
        pid, t = act(host(["cat", "/etc/shadow"]))
        a, delay = sk.wait(of("Sensitive File Read By Untrusted Program"), t)
        assert a is not None, "default rules: no alert for cat /etc/shadow"
        f = a["output_fields"]
        assert f["fd.name"] == "/etc/shadow" and f["proc.name"] == "cat"
        assert f["proc.cmdline"] == "cat /etc/shadow" and f["user.name"] == "root"
        assert delay <= LATENCY
    finally:
        assert sk.stop() == 0, sk.stderr()


DROP_KEYS = {"n_evts", "n_drops", "n_drops_buffer_total", "n_drops_buffer_clone_fork_exit",
             "n_drops_buffer_execve_exit", "n_drops_buffer_connect_exit",
             "n_drops_buffer_open_exit", "n_drops_buffer_dir_file_exit",
             "n_drops_buffer_other_interest_exit", "n_drops_buffer_close_exit",
             "n_drops_buffer_proc_exit", "n_drops_scratch_map", "n_drops_page_faults",
             "n_drops_bug", "ebpf_enabled"}


def drops_run(saker_bin, actions, secs, *extra):
    args = [saker_bin, "-r", str(RULES), "-o", "json_output=true", "-o", "engine.kind=modern_ebpf",
            "-o", "syscall_event_drops.simulate_drops=true", "-o", "log_level=debug",
            "-M", str(secs), *extra]
    for a in actions:
        args += ["-o", f"syscall_event_drops.actions[]={a}"]
    # the drop check runs on events (once per second of event time): keep
    # some coming even on an idle machine
    stop = threading.Event()

    def busy():
        while not stop.wait(0.02):
            with open("/etc/hostname"):
                pass
    t = threading.Thread(target=busy, daemon=True)
    t.start()
    try:
        return run(args, timeout=120)
    finally:
        stop.set()
        t.join()


def test_drops_simulated_alert_is_rate_limited(saker_bin):
    """simulate_drops adds a drop per second (threshold 0); log and alert run
    once, then the token bucket (rate 1/30 s, burst 1) holds them back."""
    why = live_unavailable()
    if why:
        skip_loudly(why)
    r = drops_run(saker_bin, ["log", "alert"], 5)
    assert r.returncode == 0, r.stderr
    alerts = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    drops = [a for a in alerts if a["rule"] == "Falco internal: syscall event drop"]
    assert len(drops) == 1, r.stdout + r.stderr
    a = drops[0]
    assert a["priority"] == "Debug" and a["source"] == "internal"
    assert set(a["output_fields"]) == DROP_KEYS
    assert all(isinstance(v, str) for v in a["output_fields"].values())
    n = int(a["output_fields"]["n_drops"])
    assert n >= 1 and int(a["output_fields"]["n_evts"]) >= n
    assert a["output"].split(": ", 1)[1].startswith(
        f"Debug Falco internal: syscall event drop. {n} system calls dropped in last second.")
    assert "Simulating syscall event drop" in r.stderr
    assert r.stderr.count("system calls dropped in last second.") == 1  # the log action
    assert "token bucket depleted" in r.stderr
    m = re.search(r"event drop detected: (\d+) occurrences\s+- num times actions taken: (\d+)",
                  r.stderr)
    assert m and int(m.group(1)) >= 2 and int(m.group(2)) == 1, r.stderr


def test_drops_ignore_and_exit(saker_bin):
    why = live_unavailable()
    if why:
        skip_loudly(why)
    r = drops_run(saker_bin, ["ignore"], 3)
    assert r.returncode == 0, r.stderr
    assert "Falco internal: syscall event drop" not in r.stdout
    assert "system calls dropped in last second" not in r.stderr
    r = drops_run(saker_bin, ["exit"], 30)
    assert r.returncode != 0
    assert "Exiting." in r.stderr
    assert "Syscall event stats:" in r.stderr
    # stopped at the first check, not after 30 s
    m = re.search(r"in ([0-9.]+) s\n", r.stderr)
    assert m and float(m.group(1)) < 10, r.stderr


def test_capture_on_rule_with_capture(saker_bin, tmp_path):
    """capture.enabled: a rule with `capture: true` starts PREFIX_<ts>_<num>.scap
    holding the /proc state, the event that fired and what follows for the
    rule's capture_duration; rules without it start nothing."""
    why = live_unavailable()
    if why:
        skip_loudly(why)
    prefix = tmp_path / "cap"
    sk = Saker(saker_bin, ["-r", str(RULES), "-o", "capture.enabled=true",
                           "-o", f"capture.path_prefix={prefix}"], tmp_path)
    try:
        assert sk.ready(), sk.stderr()
        assert not list(tmp_path.glob("cap_*.scap"))  # E2E Ready does not capture
        pid, t = act(host(["cat", "/etc/shadow"]))
        a, _ = sk.wait(of("E2E Shadow Read", pid), t)
        assert a is not None
        time.sleep(1.5)  # past capture_duration (800 ms), then one more event closes it
        sk.ready()
        assert sk.wait_log("Capture file ", timeout=10), sk.stderr()
    finally:
        assert sk.stop() == 0, sk.stderr()
    files = sorted(tmp_path.glob("cap_*.scap"))
    assert files  # (other processes on the machine may read /etc/shadow too)
    firsts = []
    for f in files:
        _, ts, num = f.stem.split("_")
        assert int(ts) > 0 and int(num) > 0
        r = run([saker_bin, "inspect", "-p", "%evt.type %fd.name %thread.tid %proc.cmdline", str(f),
                 "evt.type in (open, openat, openat2)"], timeout=120)
        assert r.returncode == 0, r.stderr
        rows = [line.split(None, 3) for line in r.stdout.splitlines() if line.strip()]
        assert rows and rows[0][1] == "/etc/shadow", rows[:3]  # the firing event comes first
        firsts.append(rows[0][2])
        if rows[0][2] == str(pid):
            # The process list comes from saker's tables, not a /proc scan at
            # capture time: the cat had exited by then, and is still described.
            assert rows[0][3] == "cat /etc/shadow", rows[0]
    assert str(pid) in firsts  # ours (cat is single-threaded: tid = pid)

"""test_privs.py — least privilege of a live saker (root and kernel BTF;
skips loudly otherwise). Once the probe is loaded every thread of saker must
hold exactly the capabilities live operation keeps (CAP_DAC_READ_SEARCH,
CAP_SYS_PTRACE, CAP_BPF) in its effective, permitted and bounding sets, none
inheritable or ambient, with no_new_privs set; a program_output child runs
with no capabilities at all; detection keeps working; privileges.user runs
it as another user; privileges.drop=false keeps everything."""
import os
import time
import uuid

from ops_common import Saker
from test_faults import live, rules_file  # noqa: F401 (live is a fixture)

CAP_DAC_READ_SEARCH, CAP_NET_BIND_SERVICE, CAP_SYS_PTRACE, CAP_BPF = 2, 10, 19, 39
KEEP = 1 << CAP_DAC_READ_SEARCH | 1 << CAP_SYS_PTRACE | 1 << CAP_BPF

def status(path):
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def tasks(pid):
    return [status(f"/proc/{pid}/task/{t}/status") for t in os.listdir(f"/proc/{pid}/task")]


def start(saker_bin, tmp_path, extra=()):
    d = tmp_path / "m"
    d.mkdir()
    rules = rules_file(tmp_path, d, "Privs Marker")
    s = Saker(saker_bin, ["-r", str(rules), "-o", "json_output=true", *extra])
    s.wait_log(r"Opening 'syscall' source", timeout=60)
    return s, d


def detects(s, d):
    """A marker opened now raises its alert within 5 s."""
    p = d / f"mk-{uuid.uuid4().hex[:8]}"
    end = time.monotonic() + 5
    while time.monotonic() < end:
        p.write_text("x")
        if any(a["output_fields"].get("fd.name") == str(p) for a in s.alerts()):
            return True
        time.sleep(0.2)
    return False


def test_live_threads_keep_only_needed_caps(saker_bin, live, tmp_path):
    child = tmp_path / "child.txt"
    prog = f"cat /proc/self/status > {child}"
    s, d = start(saker_bin, tmp_path, ["-o", "program_output.enabled=true",
                                       "-o", f"program_output.program={prog}"])
    try:
        s.wait_log(r"Privileges dropped: capabilities 0x8000080004 kept")
        ts = tasks(s.p.pid)
        assert len(ts) > 1  # outputs, reload, container client threads
        for t in ts:
            for k in ("CapEff", "CapPrm", "CapBnd"):
                assert int(t[k], 16) == KEEP, (t["Name"], k, t[k])
            assert int(t["CapInh"], 16) == 0 and int(t["CapAmb"], 16) == 0
            assert t["NoNewPrivs"] == "1"
            assert t["Seccomp"] == "0"  # no seccomp filter (not implemented; see reliability.md)
        assert detects(s, d), "no alert with reduced privileges:\n" + "\n".join(s.log()[-20:])
        end = time.monotonic() + 5
        while time.monotonic() < end and "NoNewPrivs" not in (child.read_text()
                                                             if child.exists() else ""):
            time.sleep(0.1)
        c = status(child)
        # uid 0 with SECBIT_NOROOT: the output program gains nothing from exec
        assert int(c["CapEff"], 16) == 0 and int(c["CapPrm"], 16) == 0
        assert int(c["CapBnd"], 16) == KEEP
        assert c["NoNewPrivs"] == "1"
    finally:
        assert s.stop() == 0


def test_low_port_keeps_net_bind_service(saker_bin, live, tmp_path):
    s, d = start(saker_bin, tmp_path, ["-o", "webserver.enabled=true",
                                       "-o", "webserver.listen_port=981",
                                       "-o", "webserver.listen_address=127.0.0.1"])
    try:
        s.wait_log(r"Starting HTTPS? server on [^:]+:981")
        for t in tasks(s.p.pid):
            assert int(t["CapEff"], 16) == KEEP | 1 << CAP_NET_BIND_SERVICE
    finally:
        s.stop()


def test_run_as_user(saker_bin, live, tmp_path):
    os.chmod(tmp_path, 0o755)
    s, d = start(saker_bin, tmp_path, ["-o", "privileges.user=nobody"])
    try:
        s.wait_log(r"Privileges dropped: .* running as nobody")
        for t in tasks(s.p.pid):
            assert t["Uid"].split() == ["65534"] * 4
            assert int(t["CapEff"], 16) == KEEP
        assert detects(s, d), "no alert as nobody:\n" + "\n".join(s.log()[-20:])
    finally:
        assert s.stop() == 0


def test_drop_off_keeps_everything(saker_bin, live, tmp_path):
    s, d = start(saker_bin, tmp_path, ["-o", "privileges.drop=false"])
    try:
        t = status(f"/proc/{s.p.pid}/status")
        assert int(t["CapEff"], 16) & ~KEEP  # more than the kept set
        assert t["NoNewPrivs"] == "0"
        assert not any("Privileges dropped" in x for x in s.log())
    finally:
        s.stop()


def test_seccomp_filter(saker_bin, live, tmp_path):
    child = tmp_path / "child.txt"
    prog = f"(grep Seccomp: /proc/self/status; unshare -U true; echo unshare=$?) > {child} 2>&1"
    s, d = start(saker_bin, tmp_path, ["-o", "privileges.seccomp=true",
                                       "-o", "program_output.enabled=true",
                                       "-o", f"program_output.program={prog}"])
    try:
        s.wait_log(r"Privileges dropped: .* seccomp filter on")
        for t in tasks(s.p.pid):
            assert t["Seccomp"] == "2", t["Name"]  # filter mode, every thread
        assert detects(s, d), "no alert with the seccomp filter:\n" + "\n".join(s.log()[-20:])
        end = time.monotonic() + 5
        while time.monotonic() < end and "unshare=" not in (child.read_text()
                                                            if child.exists() else ""):
            time.sleep(0.1)
        text = child.read_text()
        assert "Seccomp:\t2" in text  # the output program inherits the filter
        assert "unshare=1" in text and "Operation not permitted" in text
    finally:
        assert s.stop() == 0


def test_without_setpcap_as_in_a_container(saker_bin, live, tmp_path):
    """A container runtime grants a list of capabilities, usually without
    CAP_SETPCAP, which the bounding set and securebits need: saker must
    still start, keep only what it needs of what it holds, set
    no_new_privs and detect (the DaemonSet case)."""
    import shutil
    if not shutil.which("setpriv"):
        import pytest
        pytest.skip("setpriv missing (util-linux)")
    wrap = tmp_path / "saker-nosetpcap"
    wrap.write_text(f'#!/bin/sh\nexec setpriv --bounding-set=-setpcap {saker_bin} "$@"\n')
    wrap.chmod(0o755)
    s, d = start(str(wrap), tmp_path)
    try:
        s.wait_log(r"No CAP_SETPCAP: the bounding set and securebits stay as given")
        s.wait_log(r"Privileges dropped: capabilities 0x8000080004 kept")
        for t in tasks(s.p.pid):
            assert int(t["CapEff"], 16) == KEEP and int(t["CapPrm"], 16) == KEEP, t["Name"]
            assert not int(t["CapBnd"], 16) >> 8 & 1  # as given: without CAP_SETPCAP
            assert t["NoNewPrivs"] == "1"
        assert detects(s, d), "no alert without CAP_SETPCAP:\n" + "\n".join(s.log()[-20:])
    finally:
        assert s.stop() == 0

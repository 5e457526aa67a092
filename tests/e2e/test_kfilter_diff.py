"""test_kfilter_diff.py — the rule-derived kernel filters lose no alert.

1. Live: two saker instances run side by side on the same machine, so they
   see the very same syscalls, one with kernel filters on and one with them
   off (engine.modern_ebpf.kernel_filters), with the e2e live rules plus the
   upstream stable rules. A workload fires the e2e rules (shadow read, writes
   below /etc and /usr/bin, a symlink over /etc/shadow, a connection to the
   named port, a UDP datagram to another, a receive on a unix socket) amid a
   busy benign one (thousands of opens, a C compile, a directory walk,
   thousands of sends and receives on a loopback TCP connection). The alerts
   of the window must be identical (rule and output fields), and the
   filtered instance must really have dropped opens, sends and receives.
   Needs root and BTF: skips loudly otherwise.
2. Replay: every capture of the fixtures, replayed with and without
   engine.replay.emulate_kernel_filters (the same predicates, evaluated by
   the same code as the probe, in user space), gives the same alerts, with
   the stable rules and with stable + incubating + sandbox.
"""
import calendar
import collections
import json
import os
import re
import subprocess
import sys
import time
import uuid

import pytest

from conftest import FIXTURES, run
from test_live import DATA, NAMED_PORT, Saker, host, listener, live_unavailable, skip_loudly

LIVE_RULES = DATA / "live_rules.yaml"
STREAM_RULES = DATA / "kf_stream_rules.yaml"
UDP_PORT = 47812  # the port rule "E2E UDP Send Named Port" names


TIME_FIELDS = ("evt.time", "evt.rawtime", "evt.datetime", "evt.reltime", "evt.hostname")


def alert_key(a):
    """What must match between the two runs: the rule and its output fields
    but the event time (two probes on one tracepoint read the clock one
    after the other; the output line is made from the same fields)."""
    f = {k: v for k, v in a.get("output_fields", {}).items() if not k.startswith(TIME_FIELDS)}
    return (a["rule"], json.dumps(f, sort_keys=True))


def kf_counts(stderr):
    m = re.search(r"Kernel filter: (.*)", stderr)
    out = {}
    for name, p, f in re.findall(r"(\w+) passed (\d+) filtered (\d+)", m.group(1) if m else ""):
        out[name] = (int(p), int(f))
    return out


def drops(stderr):
    m = re.search(r"drops (\d+) ", stderr)
    return int(m.group(1)) if m else -1


def busy_benign(tmp, n_opens=20000):
    """Opens no rule looks at, a compile and a walk: what filters drop."""
    code = ("import sys\n"
            "for i in range(int(sys.argv[1])):\n"
            "    open('/etc/hostname').read()\n"
            "    open('/usr/lib/os-release').read()\n")
    subprocess.run([sys.executable, "-c", code, str(n_opens)], check=True, timeout=120)
    src = tmp / "kf_unit.c"
    src.write_text("#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
                   "int main(void) { puts(\"x\"); return 0; }\n")
    subprocess.run(["cc", "-c", "-o", str(tmp / "kf_unit.o"), str(src)], check=False,
                   timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["sh", "-c", "find /usr/share/doc -maxdepth 2 -type f | head -500 | "
                    "xargs cat > /dev/null 2>&1"], check=False, timeout=120)
    # ping-pong on a loopback TCP connection: sends and receives (sendto,
    # recvfrom) on connected TCP sockets, which no rule needs
    code = ("import socket, sys, threading\n"
            "l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(1)\n"
            "def serve():\n"
            "    a, _ = l.accept()\n"
            "    while True:\n"
            "        b = a.recv(64)\n"
            "        if not b: break\n"
            "        a.send(b)\n"
            "t = threading.Thread(target=serve); t.start()\n"
            "c = socket.create_connection(l.getsockname())\n"
            "for i in range(int(sys.argv[1])):\n"
            "    c.send(b'ping'); c.recv(64)\n"
            "c.close(); t.join()\n")
    subprocess.run([sys.executable, "-c", code, "3000"], check=True, timeout=120)


def firing_actions(tmp, tag):
    """Actions that fire the e2e live rules (and some stable ones)."""
    def act(argv):
        subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)
    act(host(["cat", "/etc/shadow"]))
    etcf, binf = f"/etc/saker-kf-{tag}", f"/usr/bin/saker-kf-{tag}"
    try:
        act(host(["touch", etcf]))
        act(["touch", binf])
    finally:
        for f in (etcf, binf):
            if os.path.exists(f):
                os.unlink(f)
    act(["ln", "-s", "/etc/shadow", str(tmp / f"shadow-link-{tag}")])
    act(["sh", "-c", "cat /etc/../etc/shadow > /dev/null"])
    act(["sh", "-c", "cd /etc && cat ./shadow > /dev/null; cat pam.d/other > /dev/null"])
    ls = listener(NAMED_PORT)
    code = "import socket; socket.create_connection(('127.0.0.1', %d)).close()" % NAMED_PORT
    act([sys.executable, "-c", code])
    ls.close()
    # a UDP datagram (never dropped: the rule needs it) and a unix receive
    code = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            "s.sendto(b'x' * 9, ('127.0.0.1', %d))" % UDP_PORT)
    act([sys.executable, "-c", code])
    code = "import socket; a, b = socket.socketpair(); a.send(b'hi'); b.recv(8)"
    act([sys.executable, "-c", code, "kf-unix-rx"])


def test_live_filters_on_off_same_alerts(saker_bin, tmp_path):
    why = live_unavailable()
    if why:
        skip_loudly(why)
    rules = ["-r", str(LIVE_RULES), "-r", str(STREAM_RULES)]
    stable = FIXTURES / "upstream-rules" / "falco_rules.yaml"
    if stable.exists():
        rules += ["-r", str(stable)]
    common = rules + ["-o", "engine.modern_ebpf.buf_size_preset=6", "-o", "log_level=info"]
    on = Saker(saker_bin, common + ["-o", "engine.modern_ebpf.kernel_filters=true"], tmp_path)
    off = Saker(saker_bin, common + ["-o", "engine.modern_ebpf.kernel_filters=false"], tmp_path)
    try:
        for sk in (on, off):
            if not sk.ready():
                err = sk.stderr()
                if "needs root" in err or "BTF" in err:
                    skip_loudly(err.strip().splitlines()[-1])
                pytest.fail(f"saker live did not come up:\n{err}")
        assert "Kernel filters: open" in on.stderr(), on.stderr()
        assert "Kernel filters: off" in off.stderr(), off.stderr()
        time.sleep(0.5)
        t0 = time.time_ns()
        tag = uuid.uuid4().hex[:10]
        firing_actions(tmp_path, tag)
        busy_benign(tmp_path)
        firing_actions(tmp_path, tag + "b")
        t1 = time.time_ns()
        time.sleep(2.5)  # both readers caught up (they poll every few ms)
    finally:
        on.stop()
        off.stop()
    err_on, err_off = on.stderr(), off.stderr()
    if drops(err_on) != 0 or drops(err_off) != 0:
        pytest.skip(f"ring drops (on: {drops(err_on)}, off: {drops(err_off)}): not comparable")

    def window(sk):
        out = []
        for _, a in sk.alerts:
            ts = a.get("time", "")
            m = re.match(r"(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d+)Z", ts)
            if not m:
                continue
            y, mo, d, h, mi, s, frac = m.groups()
            ns = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s))) * 10**9 + \
                int(frac.ljust(9, "0")[:9])
            if t0 <= ns <= t1 and a["rule"] != "E2E Ready":
                out.append(alert_key(a))
        return collections.Counter(out)

    a_on, a_off = window(on), window(off)
    assert a_off, "the workload raised no alert with filters off"
    rules_fired = {k[0] for k in a_off}
    for r in ("E2E Shadow Read", "E2E Write Below Etc", "E2E Write Below Usr Bin",
              "E2E Symlink Shadow", "E2E Connect Named Port", "E2E UDP Send Named Port",
              "E2E Unix Receive Marker"):
        assert r in rules_fired, f"{r} did not fire with filters off"
    assert a_on == a_off, (f"alerts differ:\nonly with filters on: {a_on - a_off}\n"
                           f"only with filters off: {a_off - a_on}")
    counts = kf_counts(err_on)
    filtered = sum(f for _, f in counts.values())
    assert filtered >= 20000, f"the filter dropped too little: {counts}\n{err_on}"
    for t in ("sendto", "recvfrom"):  # the TCP ping-pong: 3000 rounds
        assert counts.get(t, (0, 0))[1] >= 5000, f"{t} on TCP was not dropped: {counts}"
    assert not kf_counts(err_off), err_off


def _captures(fixtures):
    t = fixtures / "traces"
    caps = sorted(t.glob("*.scap")) + sorted((t / "psp").glob("*.scap"))
    caps += sorted((t / "current").glob("*.scap.gz"))
    return caps


def _replay(saker_bin, rules, cap, emulate):
    args = [saker_bin, "-o", "json_output=true", "-e", str(cap), "-o",
            f"engine.replay.emulate_kernel_filters={'true' if emulate else 'false'}"]
    for r in rules:
        args += ["-r", str(r)]
    r = run(args, timeout=300)
    assert r.returncode == 0, r.stderr
    alerts = collections.Counter(alert_key(json.loads(l)) for l in r.stdout.splitlines()
                                 if l.startswith("{"))
    m = re.search(r"Kernel filter emulation: (\d+) events dropped", r.stderr)
    return alerts, int(m.group(1)) if m else None, r.stderr


@pytest.mark.parametrize("ruleset", ["stable", "all", "live"])
def test_replay_emulation_same_alerts(saker_bin, fixtures, ruleset):
    up = fixtures / "upstream-rules"
    rules = {"stable": [up / "falco_rules.yaml"],
             "all": [up / "falco_rules.yaml", up / "falco-incubating_rules.yaml",
                     up / "falco-sandbox_rules.yaml"],
             "live": [LIVE_RULES]}[ruleset]
    caps = _captures(fixtures)
    assert caps, "no capture in the fixtures"
    total_dropped = 0
    for cap in caps:
        base, _, _ = _replay(saker_bin, rules, cap, False)
        emu, dropped, err = _replay(saker_bin, rules, cap, True)
        assert dropped is not None, f"{cap.name}: no emulation summary\n{err}"
        total_dropped += dropped
        assert emu == base, (f"{cap.name} ({ruleset}): alerts differ\n"
                             f"only with emulation: {emu - base}\nonly without: {base - emu}")
    if ruleset in ("stable", "live"):
        # the 1M-event capture is mostly opens of /etc/hostname: most must go
        assert total_dropped > 100000, f"the emulation dropped only {total_dropped} events"


def test_default_rules_keep_kernel_filters(saker_bin, tmp_path):
    """saker's own default rules must leave the open family filterable (a
    default rule that reads a file's fd through a later event type, say
    fd.name on finit_module, turns the open filters off), and the sends and
    receives on connected TCP sockets (a default rule on sendto that does not
    exclude TCP turns that one off)."""
    why = live_unavailable()
    if why:
        skip_loudly(why)
    sk = Saker(saker_bin, ["-o", "log_level=debug"], tmp_path)
    try:
        sk.wait_log("Kernel filters:")
        sk.wait_log("openat term 0:")
        time.sleep(0.5)  # the other terms' lines
        err = sk.stderr()
        assert "Kernel filters: open" in err, err
        # and no default rule needs sends or receives on TCP
        for t in ("sendto", "recvfrom", "sendmsg", "recvmsg"):
            assert f"{t}: on connected TCP sockets" in err, err
    finally:
        sk.stop()
    # ... and filterable in effect: every term needs a path (name, directory,
    # file name, "../"), a write or a failure, so that the successful
    # read-opens of files no rule names (nearly all opens) are dropped. One
    # rule matching "any open" (a pattern the filters cannot read, such as
    # fd.name contains) would make a term "ok" or "ok & flags&0x1".
    terms = re.findall(r"^openat term \d+: (.*)$", err, re.M)
    assert terms, err
    narrowing = ("name ", "under ", "file name ", "path has", "flags&0x2", "failed")
    wide = [t for t in terms if not any(n in t for n in narrowing)]
    assert not wide, f"default rules send every read-open: {wide}"

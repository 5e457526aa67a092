"""test_netns_scan.py — the start-up /proc scan resolves the sockets of
processes in other network namespaces (issue 12 part 4).

A podman container (its own network namespace, loopback only) runs a busybox
`nc -ll` server and a client connected to it over 127.0.0.1, both started
before saker. After saker is up, a line written into the client's input
makes the client write to its socket and the server side (`cat` on the
accepted socket) read it: neither fd was created while saker ran, so their
tuples can only come from the scan, which must have read the container's
/proc/PID/net tables (its socket inodes are not in saker's namespace's).
The client's end is in the container's `tcp` table, the server's (a dual-
stack listener: IPv4-mapped) in `tcp6`.

Needs root, kernel BTF and podman (skips with the reason otherwise).
"""
import pathlib
import time

import pytest

import containers_rt as rt
from test_live import Saker, live_unavailable, skip_loudly

PORT = 5555  # inside the container's own network namespace

RULES = f"""
- rule: E2E Container Socket IO
  desc: reads and writes on the container's connection to its own server
  condition: >
    evt.type in (read, write) and evt.dir = < and fd.type in (ipv4, ipv6)
    and fd.sport = {PORT} and proc.name in (busybox, nc, cat)
  output: >
    io (type=%evt.type fd=%fd.num name=%fd.name cip=%fd.cip sip=%fd.sip cport=%fd.cport
    sport=%fd.sport l4=%fd.l4proto proc=%proc.name pid=%proc.pid container=%container.id)
  priority: DEBUG
"""

CONFIG = """\
json_output: true
log_stderr: true
priority: debug
rule_matching: all
stdout_output:
  enabled: true
"""

# The server keeps listening (-ll) and runs cat on each connection; the
# client reads a FIFO held open read-write by the shell (so nothing blocks).
SCRIPT = (f"mkfifo /tmp/in; busybox nc -ll -p {PORT} -e /bin/cat & sleep 0.2; "
          f"exec 3<>/tmp/in; busybox nc 127.0.0.1 {PORT} <&3 >/dev/null & wait")


def tcp_states(pid):
    """(listening, established) entries on PORT in the container's tables."""
    listen = est = 0
    for name in ("tcp", "tcp6"):
        try:
            lines = pathlib.Path(f"/proc/{pid}/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for ln in lines:
            f = ln.split()
            ports = (int(f[1].rsplit(":", 1)[1], 16), int(f[2].rsplit(":", 1)[1], 16))
            if PORT not in ports:
                continue
            listen += f[3] == "0A"
            est += f[3] == "01"
    return listen, est


def test_container_sockets_resolved(saker_bin, tmp_path):
    why = live_unavailable()
    if why:
        skip_loudly(why)
    why = rt.setup("podman")
    if why:
        pytest.skip(f"podman unavailable: {why}")
    cid = rt.run_container("podman", cmd=("sh", "-c", SCRIPT))
    sk = None
    try:
        pid = int(rt.sh(["podman", "inspect", "-f", "{{.State.Pid}}", cid]).stdout.strip())
        assert pathlib.Path(f"/proc/{pid}/ns/net").stat().st_ino != \
            pathlib.Path("/proc/self/ns/net").stat().st_ino, "the container shares our netns"
        end = time.monotonic() + 10
        while tcp_states(pid) != (1, 2) and time.monotonic() < end:
            time.sleep(0.1)
        assert tcp_states(pid) == (1, 2), tcp_states(pid)  # listener + both ends
        (tmp_path / "rules.yaml").write_text(RULES)
        (tmp_path / "saker.yaml").write_text(CONFIG)
        sk = Saker(saker_bin, ["-c", str(tmp_path / "saker.yaml"), "-r",
                               str(tmp_path / "rules.yaml")], tmp_path)
        assert sk.wait_log("Live capture started"), sk.stderr()[-2000:]
        t = time.monotonic()
        rt.sh(["podman", "exec", cid, "sh", "-c", "echo ping > /tmp/in"])

        def io(kind, proc):
            return lambda a: (a["rule"] == "E2E Container Socket IO" and
                              a["output_fields"]["evt.type"] == kind and
                              a["output_fields"]["proc.name"] == proc)
        wr, _ = sk.wait(io("write", "busybox"), t, 5)
        rd, _ = sk.wait(io("read", "cat"), t, 5)
        assert wr and rd, (sk.find(lambda a: True), sk.stderr()[-1500:])
        w, r = wr["output_fields"], rd["output_fields"]
        # the same connection seen from both ends, client -> server
        for f in (w, r):
            assert f["fd.cip"] == "127.0.0.1" and f["fd.sip"] == "127.0.0.1", f
            assert f["fd.sport"] == PORT and f["fd.l4proto"] == "tcp", f
            assert f["container.id"] == cid[:12], f
        assert w["fd.cport"] == r["fd.cport"] and w["fd.cport"] not in (0, PORT), (w, r)
        assert w["fd.name"] == r["fd.name"] == f"127.0.0.1:{w['fd.cport']}->127.0.0.1:{PORT}"
    finally:
        if sk:
            rc = sk.stop()
            assert rc == 0, sk.stderr()[-2000:]
        rt.sh(["podman", "rm", "-f", "-t", "0", cid], check=False)

"""test_ops_delivery.py — alerts are never lost silently. A steady stream of
internal alerts (the metrics snapshot every 100 ms, engine.kind=nodriver)
goes to stdout and to a real HTTP receiver on loopback. The receiver goes
down for OUTAGE seconds (3 in CI; SAKER_OPS_LONG=1: 60) and comes back:
every alert arrives once and in order. With a spool bound smaller than the
outage, the spool depth never exceeds it and the http channel's drop
counter equals the alerts missing. Also: a file_output target that cannot
be opened is reported at start-up, SIGUSR1 reopens the file, stopping with
the receiver down does not hang."""
import http.server
import json
import os
import signal
import socket
import threading
import time

from ops_common import Saker, get, web_args

OUTAGE = float(os.environ.get("SAKER_OPS_OUTAGE", "60" if os.environ.get("SAKER_OPS_LONG") else "3"))


class Receiver:
    """An HTTP server on a fixed loopback port that can go down and up."""

    def __init__(self, port=0):
        self.bodies = []
        self.lock = threading.Lock()
        self.srv = None
        self.port = port
        self.up()

    def up(self):
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                with outer.lock:
                    outer.bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        class S(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.srv = S(("127.0.0.1", self.port), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def down(self):
        self.srv.shutdown()
        self.srv.server_close()

    def samples(self):
        with self.lock:
            return [int(b["output_fields"]["saker.sample"]) for b in self.bodies
                    if b["rule"] == "Falco internal: metrics snapshot"]


def start(saker_bin, rcv, extra=()):
    return Saker(saker_bin, [*web_args(), "-o", "engine.kind=nodriver", "-o", "json_output=true",
                             "-o", "stdout_output.enabled=true", "-o", "metrics.enabled=true",
                             "-o", "metrics.interval=100ms", "-o", "metrics.output_rule=true",
                             "-o", "http_output.enabled=true",
                             "-o", f"http_output.url=http://127.0.0.1:{rcv.port}/alerts",
                             "-o", "output_timeout=500", *extra])


def stdout_samples(s):
    return [int(a["output_fields"]["saker.sample"]) for a in s.alerts()
            if a["rule"] == "Falco internal: metrics snapshot"]


def http_stat(port, name):
    text = get(f"http://127.0.0.1:{port}/metrics")[2]
    for line in text.splitlines():
        if line.startswith(f'{name}{{channel="http"}}'):
            return int(float(line.rsplit(" ", 1)[1]))
    raise AssertionError(f"{name} for http not in /metrics")


def test_receiver_down_then_up_every_alert_once_in_order(saker_bin):
    rcv = Receiver()
    s = start(saker_bin, rcv)
    try:
        port = s.port()
        time.sleep(0.8)
        rcv.down()
        t0 = time.monotonic()
        s.wait_log(r"Output channel http cannot deliver", timeout=5)
        depth_max = 0
        while time.monotonic() - t0 < OUTAGE:
            depth_max = max(depth_max, http_stat(port, "saker_output_channel_spool_depth"))
            time.sleep(0.2)
        rcv.up()
        s.wait_log(r"Output channel http delivers again", timeout=15)
        end = time.monotonic() + 15
        while time.monotonic() < end and len(rcv.samples()) < len(stdout_samples(s)):
            time.sleep(0.1)
        dropped = http_stat(port, "saker_output_channel_dropped_total")
    finally:
        assert s.stop() == 0
    time.sleep(0.3)
    sent, got = stdout_samples(s), rcv.samples()
    print(f"\noutage {OUTAGE:.0f}s: {len(sent)} alerts, spool depth max {depth_max}, "
          f"received {len(got)}, dropped {dropped}")
    assert depth_max >= OUTAGE * 10 * 0.5, "the outage did not queue alerts"
    assert dropped == 0
    assert got == sent, "alerts missing, doubled or out of order at the receiver"
    assert sum("cannot deliver" in x for x in s.log()) == 1  # one line per failure streak


def test_spool_bound_and_drop_counter(saker_bin):
    rcv = Receiver()
    bound = 8
    s = start(saker_bin, rcv, ["-o", f"http_output.spool_capacity={bound}"])
    try:
        port = s.port()
        time.sleep(0.5)
        rcv.down()
        t0 = time.monotonic()
        depth_max = 0
        while time.monotonic() - t0 < max(OUTAGE, 2.5):
            depth_max = max(depth_max, http_stat(port, "saker_output_channel_spool_depth"))
            time.sleep(0.1)
        assert http_stat(port, "saker_output_channel_spool_max") == bound
        rcv.up()
        s.wait_log(r"Output channel http delivers again", timeout=15)
        time.sleep(1.0)
        s.p.send_signal(signal.SIGSTOP)  # freeze the stream to compare exactly
        time.sleep(0.2)
        s.p.send_signal(signal.SIGCONT)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            sent = stdout_samples(s)
            dropped = http_stat(port, "saker_output_channel_dropped_total")
            if len(rcv.samples()) + dropped >= len(sent):
                break
            time.sleep(0.1)
    finally:
        assert s.stop() == 0
    time.sleep(0.3)
    sent, got = stdout_samples(s), rcv.samples()
    missing = set(sent) - set(got)
    print(f"\nspool bound {bound}: {len(sent)} alerts, spool depth max {depth_max}, "
          f"received {len(got)}, missing {len(missing)}, drop counter {dropped}")
    assert depth_max <= bound
    assert dropped > 0 and got == sorted(got) and len(set(got)) == len(got)
    # every alert generated is either received or counted as dropped
    assert len(missing) == dropped, (len(missing), dropped)


def test_stop_with_receiver_down_does_not_hang(saker_bin):
    rcv = Receiver()
    rcv.down()
    s = start(saker_bin, rcv)
    try:
        s.wait_log(r"Output channel http cannot deliver: cannot reach", timeout=5)
        time.sleep(1.0)
    finally:
        t = time.monotonic()
        assert s.stop() == 0
        assert time.monotonic() - t < 10


def test_file_output_unreachable_reported_and_sigusr1_reopens(saker_bin, tmp_path):
    bad = tmp_path / "no" / "such" / "dir" / "alerts.log"
    r = Saker(saker_bin, ["-o", "engine.kind=nodriver", "-o", "file_output.enabled=true",
                          "-o", f"file_output.filename={bad}", "-M", "1"])
    r.p.wait(30)
    assert any("Output channel file cannot deliver: cannot open" in x for x in r.log()), r.log()
    f = tmp_path / "alerts.log"
    s = Saker(saker_bin, ["-o", "engine.kind=nodriver", "-o", "json_output=true",
                          "-o", "file_output.enabled=true", "-o", "file_output.keep_alive=true",
                          "-o", f"file_output.filename={f}", "-o", "metrics.enabled=true",
                          "-o", "metrics.interval=100ms", "-o", "metrics.output_rule=true",
                          "-o", "buffered_outputs=false"])
    try:
        end = time.monotonic() + 5
        while time.monotonic() < end and (not f.exists() or not f.read_text()):
            time.sleep(0.05)
        os.rename(f, tmp_path / "alerts.log.1")
        time.sleep(0.3)
        s.p.send_signal(signal.SIGUSR1)
        end = time.monotonic() + 5
        while time.monotonic() < end and not f.exists():
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        assert s.stop() == 0
    assert f.exists() and f.read_text().strip(), "SIGUSR1 did not reopen the file"
    assert (tmp_path / "alerts.log.1").read_text().strip()


def test_spool_file_keeps_order_beyond_memory_and_across_restart(saker_bin, tmp_path):
    """http_output.spool_file: with a memory spool of 4 alerts, an outage
    longer than that loses nothing (the waiting alerts move to the file, the
    oldest first); alerts still waiting when saker stops are delivered, first
    and in order, by the next saker."""
    rcv = Receiver()
    spool = tmp_path / "http.spool"
    extra = ["-o", "http_output.spool_capacity=4", "-o", f"http_output.spool_file={spool}"]
    s = start(saker_bin, rcv, extra)
    try:
        port = s.port()
        time.sleep(0.5)
        rcv.down()
        time.sleep(max(OUTAGE, 2.5))
        assert http_stat(port, "saker_output_channel_spool_file_bytes") > 0
        assert http_stat(port, "saker_output_channel_spool_depth") > 4
        rcv.up()
        s.wait_log(r"Output channel http delivers again", timeout=15)
        end = time.monotonic() + 15
        while time.monotonic() < end and len(rcv.samples()) < len(stdout_samples(s)):
            time.sleep(0.1)
        dropped = http_stat(port, "saker_output_channel_dropped_total")
    finally:
        assert s.stop() == 0
    time.sleep(0.3)
    assert dropped == 0
    assert rcv.samples() == stdout_samples(s)
    # a run that ends with the receiver down leaves its alerts in the file ...
    rcv.bodies.clear()
    rcv.down()
    s1 = start(saker_bin, rcv, extra)
    try:
        s1.port()
        s1.wait_log(r"Output channel http cannot deliver", timeout=5)
        time.sleep(1.5)
    finally:
        assert s1.stop() == 0
    left = stdout_samples(s1)
    assert len(left) >= 5 and spool.stat().st_size > 30
    # ... and the next run delivers them first, in order, then its own
    rcv.up()
    s2 = start(saker_bin, rcv, extra)
    try:
        s2.port()
        end = time.monotonic() + 15
        while time.monotonic() < end and len(rcv.samples()) < len(left) + 3:
            time.sleep(0.1)
    finally:
        assert s2.stop() == 0
    time.sleep(0.3)
    got = rcv.samples()
    assert got[:len(left)] == left, (got[:len(left) + 2], left)
    assert got[len(left):] == stdout_samples(s2)[:len(got) - len(left)]
    assert spool.stat().st_size == 30  # the header only: nothing left

#!/usr/bin/env python3
"""audit_webhook.py — the k8s audit webhook under load (no root needed).

Runs saker (engine.kind=nodriver, the webhook in Falco 0.2x's form on the
web server's port) with k8s_audit_rules.yaml from ../shared/fixtures and
posts EventLists of BATCH events (every audit fixture event, round robin,
stageTimestamp set to the time of the POST) from POSTERS threads, each on
its own keep-alive connection. Two phases:

  1. throughput: posters as fast as they can for SECONDS; events/s the
     webhook accepted (200) and the engine evaluated, 503s (queue full);
  2. latency: posters paced to RATE (default: half of phase 1) for SECONDS;
     from POST to alert = the time the alert line is read from saker's
     stdout minus the alert's `time` (the event's stageTimestamp, set when
     the batch was posted): p50, p99, max.

RSS (VmRSS sampled every 100 ms, max; VmHWM at the end) is printed too.

  SAKER_BIN=build/saker python3 bench/audit_webhook.py [--posters 4]
      [--batch 100] [--seconds 10] [--rate EVENTS_PER_S]
"""
import argparse
import calendar
import http.client
import json
import os
import pathlib
import statistics
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from ops_common import Saker, get, rss_kib  # noqa: E402
from test_k8s_audit_web import CONF as BASE_CONF, WEB02, load_events  # noqa: E402

FIXTURES = ROOT.parent / "shared" / "fixtures"

CONF = BASE_CONF + WEB02


def fixture_events():
    out = []
    for p in sorted((FIXTURES / "k8s_audit").rglob("*.json")):
        out += load_events(p) or []
    return out


def templates(events, batch):
    """EventList bodies of `batch` events with the stageTimestamp left as
    a placeholder, filled per POST."""
    bodies, i = [], 0
    for _ in range(max(1, len(events) // batch) + 1):
        items = []
        for _ in range(batch):
            e = dict(events[i % len(events)])
            e["stageTimestamp"] = "@TS@"
            items.append(e)
            i += 1
        bodies.append(json.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1",
                                  "items": items}))
    return bodies


def rfc3339_now():
    ns = time.time_ns()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + ".%09dZ" % (ns % 10**9)


def parse_time_ns(s):
    """'2026-12-03T18:50:00.123456789Z' -> ns since the epoch."""
    base, frac = s[:19], s[20:-1] if len(s) > 20 else "0"
    t = time.strptime(base, "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(t) * 10**9 + int((frac + "000000000")[:9])


class TimedSaker(Saker):
    """Saker whose stdout lines also carry the time they were read."""

    def __init__(self, *a, **kw):
        self.out_times = []
        super().__init__(*a, **kw)

    def _read(self, stream, sink):
        if sink is not self.out:
            return super()._read(stream, sink)
        for line in stream:
            now = time.time_ns()
            with self.lock:
                sink.append(line.rstrip("\n"))
                self.out_times.append((now, line))


def poster(port, bodies, batch, stop, pace, stats, lock):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i, ok, full, other = 0, 0, 0, 0
    next_t = time.monotonic()
    while not stop.is_set():
        if pace:
            next_t += pace
            d = next_t - time.monotonic()
            if d > 0:
                time.sleep(d)
        body = bodies[i % len(bodies)].replace("@TS@", rfc3339_now())
        i += 1
        conn.request("POST", "/k8s_audit", body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        if r.status == 200:
            ok += 1
        elif r.status == 503:
            full += 1
        else:
            other += 1
    conn.close()
    with lock:
        stats["ok"] += ok * batch
        stats["full"] += full
        stats["other"] += other


def cpu_s(pid):
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def metric(port, name):
    for line in get(f"http://127.0.0.1:{port}/metrics")[2].splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def phase(sk, port, bodies, args, rate):
    """Runs the posters for args.seconds; returns (stats, events evaluated,
    latencies in ms of the alerts of this phase, max RSS KiB)."""
    stop = threading.Event()
    lock = threading.Lock()
    stats = {"ok": 0, "full": 0, "other": 0}
    pace = (args.batch * args.posters / rate) if rate else 0
    ev0 = metric(port, "saker_k8s_audit_events_total")
    cpu0 = cpu_s(sk.p.pid)
    with sk.lock:
        seen0 = len(sk.out)
    ts = [threading.Thread(target=poster, args=(port, bodies, args.batch, stop, pace, stats, lock))
          for _ in range(args.posters)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    rss = 0
    while time.monotonic() - t0 < args.seconds:
        rss = max(rss, rss_kib(sk.p.pid))
        time.sleep(0.1)
    stop.set()
    for t in ts:
        t.join()
    wall = time.monotonic() - t0
    ev1 = metric(port, "saker_k8s_audit_events_total")
    # drain: wait until the engine caught up
    end = time.monotonic() + 30
    while time.monotonic() < end:
        e = metric(port, "saker_k8s_audit_events_total")
        if e >= ev0 + stats["ok"]:
            break
        time.sleep(0.1)
    time.sleep(0.3)
    stats["cpu_ms_per_1k"] = (cpu_s(sk.p.pid) - cpu0) * 1e3 / max(1, stats["ok"] / 1000)
    with sk.lock:
        reads = list(sk.out_times[seen0:])
    lat = []
    for rx_ns, line in reads:
        if line.startswith("{"):
            a = json.loads(line)
            if a.get("source") == "k8s_audit":
                lat.append((rx_ns - parse_time_ns(a["time"])) / 1e6)
    return stats, (ev1 - ev0) / wall, stats["ok"] / wall, lat, rss


def pct(v, p):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--posters", type=int, default=4)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rate", type=float, default=0, help="phase 2 events/s (0 = half of phase 1)")
    args = ap.parse_args()
    saker = os.environ.get("SAKER_BIN", str(ROOT / "build" / "saker"))
    rules = FIXTURES / "upstream-rules" / "k8s_audit_rules.yaml"
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="sk-bench-aw-"))
    (tmp / "saker.yaml").write_text(CONF)
    sk = TimedSaker(saker, ["-c", str(tmp / "saker.yaml"), "-r", str(rules)])
    try:
        port = sk.port()
        sk.wait_log(r"Starting k8s audit webhook")
        rss0 = rss_kib(sk.p.pid)
        events = fixture_events()
        bodies = templates(events, args.batch)
        print(f"saker {saker}; rules {rules.name}; {len(events)} fixture events; "
              f"{args.posters} posters x EventLists of {args.batch}; {args.seconds:.0f} s per phase")
        st, evaluated, accepted, lat1, rss1 = phase(sk, port, bodies, args, 0)
        print(f"throughput: accepted {accepted:,.0f} events/s, evaluated {evaluated:,.0f} events/s, "
              f"503 (queue full) {st['full']}, other errors {st['other']}; saker CPU "
              f"{st['cpu_ms_per_1k']:.0f} ms per 1000 events; RSS idle {rss0 / 1024:.1f} MiB, "
              f"max {rss1 / 1024:.1f} MiB")
        rate = args.rate or max(1000.0, accepted / 2)
        st, evaluated, accepted, lat, rss2 = phase(sk, port, bodies, args, rate)
        print(f"latency at {accepted:,.0f} events/s ({len(lat)} alerts): POST to alert p50 "
              f"{pct(lat, 50):.2f} ms, p99 {pct(lat, 99):.2f} ms, max {max(lat or [0]):.2f} ms; "
              f"503 {st['full']}; saker CPU {st['cpu_ms_per_1k']:.0f} ms per 1000 events; "
              f"max RSS {rss2 / 1024:.1f} MiB")
        if lat1:
            print(f"(at saturation: p50 {pct(lat1, 50):.1f} ms, p99 {pct(lat1, 99):.1f} ms)")
        with open(f"/proc/{sk.p.pid}/status") as f:
            hwm = [x for x in f if x.startswith("VmHWM")]
        print(f"peak RSS {hwm[0].split(':')[1].strip() if hwm else '?'}")
    finally:
        sk.stop()


if __name__ == "__main__":
    main()

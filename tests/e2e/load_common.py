"""load_common.py — helpers of the load tests (test_load_bounds.py,
test_ring_pressure.py): a live saker with one marker rule and /metrics, the
real-process load generator bench/load_storm, a sampler of saker's RSS, the
/metrics page as a dict, and markers whose alert latency is measured (the
"engine never stalls" check)."""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid

import pytest

from ops_common import Saker, get, rss_kib, web_args
from test_live import live_unavailable

ROOT = pathlib.Path(__file__).resolve().parents[2]

RULES = """
- rule: Load Marker
  desc: marker file created (the detection that must keep working under load)
  condition: evt.type in (open, openat, openat2) and fd.name startswith {d}/mk-
  output: "marker %fd.name %proc.name"
  priority: WARNING
"""

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def live_or_skip():
    why = live_unavailable()
    if why:
        sys.stderr.write(f"\n*** live load tests: SKIPPING: {why} ***\n")
        pytest.skip(why)


def bench_bin(saker_bin, tmp_dir, name):
    """bench/NAME of the saker build, else compiled from bench/NAME.c into tmp_dir."""
    p = pathlib.Path(saker_bin).parent / "bench" / name
    if os.access(p, os.X_OK):
        return str(p)
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip(f"bench/{name} not built and no C compiler")
    out = pathlib.Path(tmp_dir) / name
    subprocess.run([cc, "-O2", "-pthread", "-o", str(out), str(ROOT / "bench" / f"{name}.c")],
                   check=True)
    return str(out)


class Live:
    """A live saker with the marker rule on directory `d` (asking for a
    capture with capture=True), /metrics on, and its RSS sampled every 50 ms
    (peak in `rss_peak_kib`)."""

    def __init__(self, saker_bin, tmp_path, extra=(), capture=False):
        self.d = f"/tmp/saker-load-{uuid.uuid4().hex[:8]}"
        os.makedirs(self.d)
        rules = pathlib.Path(tmp_path) / "load_rules.yaml"
        rules.write_text(RULES.format(d=self.d) + ("  capture: true\n" if capture else ""))
        self.s = Saker(saker_bin, ["-r", str(rules), "-o", "json_output=true",
                                   "-o", "engine.kind=modern_ebpf",
                                   *web_args(extra=extra)])
        self.port = self.s.port()
        self.n = 0
        self.rss_peak_kib = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._sample, daemon=True)
        self._t.start()
        self.ready()

    def _sample(self):
        while not self._stop.is_set() and self.s.p.poll() is None:
            try:
                self.rss_peak_kib = max(self.rss_peak_kib, rss_kib(self.s.p.pid))
            except OSError:
                pass
            time.sleep(0.05)

    def reset_peak(self):
        self.rss_peak_kib = rss_kib(self.s.p.pid)

    def alerted(self, path):
        return any(a.get("output_fields", {}).get("fd.name") == path for a in self.s.alerts())

    def mark(self, new_process=False, timeout=30.0):
        """Creates a marker file (from this process, or from a new `sh`) and
        returns the seconds until its alert arrived (AssertionError past
        timeout)."""
        self.n += 1
        p = f"{self.d}/mk-{self.n}"
        t0 = time.monotonic()
        if new_process:
            subprocess.run(["sh", "-c", f": > {p}"], check=True)
        else:
            open(p, "w").close()
        while time.monotonic() - t0 < timeout:
            if self.alerted(p):
                return time.monotonic() - t0
            assert self.s.p.poll() is None, "saker died:\n" + "\n".join(self.s.log()[-30:])
            time.sleep(0.01)
        raise AssertionError(f"no alert for {p} within {timeout}s:\n" +
                             "\n".join(self.s.log()[-20:]))

    def ready(self, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                self.mark(timeout=0.5)
                return
            except AssertionError:
                if self.s.p.poll() is not None:
                    raise
        raise AssertionError("saker never alerted:\n" + "\n".join(self.s.log()[-30:]))

    def metrics(self):
        """{"name{labels}": value} of /metrics, after the next publication."""
        time.sleep(0.6)  # the engine publishes its counters every 0.5 s
        _, _, body = get(f"http://127.0.0.1:{self.port}/metrics")
        out = {}
        for line in body.splitlines():
            m = SAMPLE.match(line)
            if m:
                out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
        return out

    def stop(self):
        self._stop.set()
        rc = self.s.stop()
        shutil.rmtree(self.d, ignore_errors=True)
        return rc


class Marker:
    """Marks every `period` s in a thread while a load runs; `latencies`
    holds each marker's alert latency, `errors` those that never alerted."""

    def __init__(self, live, period=0.5):
        self.live, self.period = live, period
        self.latencies, self.errors = [], []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.latencies.append(self.live.mark(timeout=60))
            except AssertionError as e:
                self.errors.append(str(e))
                return
            self._stop.wait(self.period)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join(90)

    def worst(self):
        return max(self.latencies) if self.latencies else float("inf")

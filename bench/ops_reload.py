#!/usr/bin/env python3
"""ops_reload.py — reload figures under live load (root, eBPF probe).

Runs saker live with a large rules file (default: Falco's upstream
falco_rules.yaml from ../shared/fixtures, else the rules/ directory) plus
a marker rule, creates a marker file every 2 ms, and reloads N times by
SIGHUP. Prints reload latency p50/p99/max (from the signal to the new rules
active on the engine thread, as saker logs it), the markers created and
alerted (each must alert exactly once), the events the engine evaluated
during the run, and RSS before/after.

  sudo SAKER_BIN=build/saker python3 bench/ops_reload.py [N] [RULES.yaml]
"""
import os
import pathlib
import signal
import statistics
import sys
import threading
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from ops_common import Saker, get, rss_kib, web_args  # noqa: E402

MARKER = """
- rule: Bench Marker v{v}
  desc: marker
  condition: evt.type in (open, openat, openat2) and fd.name startswith {d}/mk-
  output: "marker v{v} %fd.name"
  priority: WARNING
"""


def metric(port, name):
    for line in get(f"http://127.0.0.1:{port}/metrics")[2].splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    big = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else \
        ROOT.parent / "shared" / "fixtures" / "upstream-rules" / "falco_rules.yaml"
    if not big.exists():
        big = ROOT / "rules"  # the default rules files, loaded as a directory
    saker = os.environ.get("SAKER_BIN", str(ROOT / "build" / "saker"))
    d = f"/tmp/saker-bench-{uuid.uuid4().hex[:8]}"
    os.makedirs(d)
    tmp = pathlib.Path(d + "-rules")
    tmp.mkdir()
    marker = tmp / "marker.yaml"
    marker.write_text(MARKER.format(v=0, d=d))
    s = Saker(saker, ["-r", str(big), "-r", str(marker), "-o", "engine.kind=modern_ebpf",
                      "-o", "json_output=true", "-o", "stdout_output.enabled=true",
                      "-o", "watch_config_files=false", *web_args()])
    port = s.port()
    s.wait_log("Live capture started", timeout=60)
    time.sleep(1)
    made, stop = [], threading.Event()

    def markers():
        i = 0
        while not stop.is_set():
            p = f"{d}/mk-{i:07d}"
            os.close(os.open(p, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o600))
            os.unlink(p)
            made.append(p)
            i += 1
            time.sleep(0.002)

    t = threading.Thread(target=markers)
    t.start()
    rss0 = rss_kib(s.p.pid)
    ev0 = metric(port, "saker_events_total")
    t0 = time.monotonic()
    for i in range(1, n + 1):
        marker.write_text(MARKER.format(v=i, d=d))
        s.p.send_signal(signal.SIGHUP)
        s.wait_log(rf"Reload #{i}: ", timeout=60)
    dt = time.monotonic() - t0
    ev1 = metric(port, "saker_events_total")
    rss1 = rss_kib(s.p.pid)
    time.sleep(0.5)
    stop.set()
    t.join()
    time.sleep(2)
    s.stop()
    seen = [a["output_fields"]["fd.name"] for a in s.alerts() if a["rule"].startswith("Bench Marker")]
    lat = sorted(ms for _, ms in s.reloads())
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    drops = [x for x in s.log() if x.startswith("Syscall event stats")]
    swaps = sorted(float(x.split("swap ")[1].split(" us")[0]) for x in s.log() if " swap " in x)
    print(f"rules file: {big.name} (+ marker rule); reloads: {len(lat)} in {dt:.1f} s")
    print(f"reload latency (SIGHUP -> new rules active): p50 {statistics.median(lat):.1f} ms, "
          f"p99 {p99:.1f} ms, max {lat[-1]:.1f} ms")
    print(f"engine thread time per swap: p50 {statistics.median(swaps):.0f} us, "
          f"max {swaps[-1]:.0f} us")
    print(f"events evaluated during the reloads: {int(ev1 - ev0)} ({(ev1 - ev0) / dt:.0f}/s)")
    print(f"markers created {len(made)}, alerted {len(seen)}, distinct {len(set(seen))}, "
          f"missed {len(set(made) - set(seen))}, doubled {len(seen) - len(set(seen))}")
    print(f"RSS {rss0} KiB -> {rss1} KiB after {n} reloads")
    print(drops[0] if drops else "")
    os.rmdir(d)
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()


if __name__ == "__main__":
    main()

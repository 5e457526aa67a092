#!/usr/bin/python3
"""container_churn_bounds.py — N containers started and removed under a live
saker (issue 15 part 2; not CI: a podman container takes ~0.3 s to start).

Each container runs `sh -c 'cat /etc/hostname'` (an exec of sh the rule
E2E Container Exec of tests/e2e/data/container_rules.yaml alerts on) and is removed (podman run
--rm), JOBS at a time. saker runs with the container plugin, /metrics on and
falco_libs.container_table_size=LIMIT (low, so that the bound is reached).
Prints: containers started, the E2E Container Exec alerts received (with
the container's name when its metadata beat its first exec), saker's peak
RSS, the container table's size at the end and its peak, and the
containers dropped/evicted by the bound; then checks that a host marker
still alerts (detection keeps working) and that saker exits 0.

  bench/container_churn_bounds.py [N] [LIMIT] [JOBS]   (defaults 1000 64 4)
  SAKER_BIN=build/saker (default)                       root, podman, BTF
"""
import concurrent.futures
import os
import pathlib
import subprocess
import sys
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

import containers_rt as rt  # noqa: E402
from load_common import Live  # noqa: E402

TABLE = 'saker_state_table_entries{table="containers"}'


def one(i, tag):
    r = subprocess.run(["podman", "run", "--rm", "--network", "none", "--name", f"skb-{tag}-{i}",
                        rt.IMAGE, "sh", "-c", "cat /etc/hostname"],
                       capture_output=True, text=True, timeout=300)
    return r.returncode == 0


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    jobs = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    why = rt.setup("podman")
    if why:
        sys.exit(f"podman: {why}")
    saker = os.environ.get("SAKER_BIN", str(ROOT / "build" / "saker"))
    tmp = pathlib.Path(f"/tmp/skb-{uuid.uuid4().hex[:6]}")
    tmp.mkdir()
    rules = ROOT / "tests" / "e2e" / "data" / "container_rules.yaml"
    lv = Live(saker, tmp, extra=["-r", str(rules), "-o", "load_plugins[]=container",
                                 "-o", f"falco_libs.container_table_size={limit}"])
    try:
        m0 = lv.metrics()
        lv.reset_peak()
        tag = uuid.uuid4().hex[:6]
        t0 = time.monotonic()
        peak, ok = m0.get(TABLE, 0), 0
        with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
            futs = [ex.submit(one, i, tag) for i in range(n)]
            for k, f in enumerate(concurrent.futures.as_completed(futs)):
                ok += f.result()
                if k % 50 == 49:
                    peak = max(peak, lv.metrics().get(TABLE, 0))
        dt = time.monotonic() - t0
        time.sleep(3)
        m1 = lv.metrics()
        peak = max(peak, m1.get(TABLE, 0))
        # busybox sh runs cat as a built-in applet: the exec seen is sh's
        execs = [a for a in lv.s.alerts() if a.get("rule") == "E2E Container Exec"
                 and a["output_fields"].get("proc.name") == "sh"]
        named = {a["output_fields"]["container.name"] for a in execs if str(
            a["output_fields"].get("container.name", "")).startswith(f"skb-{tag}-")}
        lat = lv.mark(new_process=True)
        print(f"containers: {ok}/{n} started and removed in {dt:.0f} s ({jobs} at a time)")
        print(f"alerts: {len(execs)} container execs, {len(named)} of them with this run's container name")
        print(f"container table: limit {limit}, {m0.get(TABLE, 0):.0f} before, peak {peak:.0f}, "
              f"{m1.get(TABLE, 0):.0f} after; dropped/evicted "
              f"{m1['saker_state_containers_dropped_total'] - m0['saker_state_containers_dropped_total']:.0f}")
        print(f"saker: peak RSS {lv.rss_peak_kib / 1024:.1f} MiB; host marker after: {lat:.3f} s")
    finally:
        rc = lv.stop()
        print(f"saker exit status {rc}")


if __name__ == "__main__":
    main()

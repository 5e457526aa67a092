#!/usr/bin/env python3
"""container_timeliness.py — how often container metadata is there on a new
container's very first event that matters: the entrypoint's first execve
(proc.vpid = 1). Starts saker live, then N containers one after another on
each runtime asked for, and reports per runtime the fraction whose first
execve alert has container.name and container.image.repository set.

Usage (root, kernel BTF; runtimes set up by scripts/containers/setup-*.sh):
    bench/container_timeliness.py [--saker build/saker] [-n 50] podman docker cri
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
IMAGE = "localhost/saker-test:1"
RULE = """\
- rule: First exec in container
  desc: the entrypoint's execve (vpid 1) of any container
  condition: evt.type in (execve, execveat) and evt.dir = < and evt.rawres = 0 and container.id != host and proc.vpid = 1
  output: first exec id=%container.id name=%container.name repo=%container.image.repository
  priority: INFO
"""


def start_containers(runtime, n, crictl):
    """Starts n containers; returns their short ids. Cleans up after."""
    ids = []
    if runtime in ("podman", "docker"):
        cli = ["podman"] if runtime == "podman" else ["docker", "-H", "unix:///var/run/docker.sock"]
        for _ in range(n):
            r = subprocess.run(cli + ["run", "-d", "--network", "none", IMAGE, "sleep", "30"],
                               capture_output=True, text=True, timeout=120)
            if r.returncode == 0:
                ids.append(r.stdout.strip().splitlines()[-1][:12])
        subprocess.run(cli + ["rm", "-f", "-t", "0", *ids] if runtime == "podman" else cli + ["rm", "-f", *ids],
                       capture_output=True, timeout=600)
    else:
        ns = f"timeliness-{uuid.uuid4().hex[:6]}"
        for i in range(n):
            uid = str(uuid.uuid4())
            r = subprocess.run([crictl, "run", f"t-{i}", ns, uid, "c", IMAGE, "--", "sleep", "30"],
                               capture_output=True, text=True, timeout=120)
            if r.returncode == 0:
                ids.append(r.stdout.split()[1][:12])
        subprocess.run([crictl, "cleanup", ns], capture_output=True, timeout=600)
    return ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--saker", default=str(ROOT / "build" / "saker"))
    ap.add_argument("--crictl", default=str(ROOT / "build" / "tests" / "unit" / "sk_crictl"))
    ap.add_argument("-n", type=int, default=50)
    ap.add_argument("runtimes", nargs="*", default=["podman", "docker", "cri"])
    a = ap.parse_args()
    tmp = pathlib.Path(tempfile.mkdtemp())
    (tmp / "r.yaml").write_text(RULE)
    p = subprocess.Popen([a.saker, "-r", str(tmp / "r.yaml"), "-o", "json_output=true",
                          "-o", "engine.kind=modern_ebpf", "-o", "append_output=",
                          "-o", "load_plugins[]=container"],
                         stdout=subprocess.PIPE, stderr=open(tmp / "err", "w"), text=True)
    alerts = {}
    lock = threading.Lock()

    def reader():
        for line in p.stdout:
            if line.startswith("{"):
                f = json.loads(line)["output_fields"]
                with lock:
                    alerts.setdefault(f["container.id"], f)  # the first one
    threading.Thread(target=reader, daemon=True).start()
    for _ in range(600):
        if "Live capture started" in (tmp / "err").read_text():
            break
        time.sleep(0.1)
    results = {}
    for rt in a.runtimes:
        ids = start_containers(rt, a.n, a.crictl)
        time.sleep(2)
        with lock:
            seen = [alerts[i] for i in ids if i in alerts]
        good = [f for f in seen if f.get("container.name") and f.get("container.image.repository")]
        results[rt] = (len(ids), len(seen), len(good))
        print(f"{rt}: started {len(ids)}, first execve seen {len(seen)}, with name+image "
              f"{len(good)} ({100.0 * len(good) / max(1, len(ids)):.1f}%)", flush=True)
    p.send_signal(2)
    p.wait(timeout=60)
    for line in (tmp / "err").read_text().splitlines():
        if line.startswith("Container metadata:"):
            print(line)
    return 0 if all(g == n and n > 0 for n, _, g in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

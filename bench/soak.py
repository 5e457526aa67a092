#!/usr/bin/python3
"""soak.py — a long run of live saker under steady load (issue 15, not CI).

saker runs live with its default rules plus one marker rule, while
  * bench/syscall_load keeps a steady syscall rate (--rate rounds/s; a round
    is an open/read/close, and every tenth a loopback connect/accept),
  * a container is started and removed every --churn seconds (podman, the
    test image of tests/e2e/containers_rt.py), when podman is set up,
  * a marker file is created every second: each one must raise an alert.
Every --every seconds it samples saker's RSS, CPU, events seen/sent, kernel
drops, threads/fds/containers in its tables and the markers delivered, and
at the end writes samples.csv, soak.png (gnuplot) and summary.md into --out.

  sudo bench/soak.py --duration 3600            # the issue's hour
  sudo bench/soak.py --duration 600 --rate 20000  # a shorter check

Needs root, kernel BTF, build-rel (built when missing), gnuplot (apt-get
install gnuplot-nox) for the plot. Exit status 0 when no marker was lost and
saker stayed up."""
import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
IMAGE = "localhost/saker-test:1"
MARK_RULE = """
- rule: Soak Marker
  desc: a marker file of bench/soak.py
  condition: >
    evt.type in (open, openat, openat2) and evt.dir = < and fd.num >= 0
    and evt.is_open_write = true and fd.name startswith {d}/mark-
  output: soak marker %fd.name
  priority: NOTICE
"""


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=int, default=3600, help="seconds (default 3600)")
    p.add_argument("--rate", type=int, default=30000,
                   help="syscall_load rounds per second (default 30000, ~114k syscalls/s)")
    p.add_argument("--churn", type=float, default=10.0,
                   help="seconds between container starts (0 = none; default 10)")
    p.add_argument("--every", type=int, default=10, help="sampling period in s (default 10)")
    p.add_argument("--build", default=str(ROOT / "build-rel"))
    p.add_argument("--port", type=int, default=8799, help="saker's web server port")
    p.add_argument("--out", default=f"/tmp/saker-soak-{int(time.time())}")
    return p.parse_args()


def build(bdir):
    if not (pathlib.Path(bdir) / "saker").exists() or \
       not (pathlib.Path(bdir) / "bench" / "syscall_load").exists():
        subprocess.run(["cmake", "-S", str(ROOT), "-B", bdir, "-DCMAKE_BUILD_TYPE=Release"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", bdir, "-j2", "--target", "saker", "syscall_load"],
                       check=True, stdout=subprocess.DEVNULL)


def metrics(port):
    """Prometheus text as {name: summed value} (labels summed)."""
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    except OSError:
        return {}
    out = {}
    for line in body.decode().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name = re.split(r"[{ ]", line, 1)[0]
        try:
            out[name] = out.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
        except ValueError:
            pass
    return out


def proc_stats(pid):
    """(RSS MiB, peak RSS MiB, CPU seconds) of a process."""
    rss = hwm = 0.0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    with open(f"/proc/{pid}/stat") as f:
        st = f.read().rsplit(")", 1)[1].split()
    cpu = (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
    return rss, hwm, cpu


class Alerts:
    """Reads saker's JSON alerts from its stdout; counts markers seen."""

    def __init__(self, stream, log):
        self.marks, self.total, self.lock = set(), 0, threading.Lock()
        self.t = threading.Thread(target=self.run, args=(stream, log), daemon=True)
        self.t.start()

    def run(self, stream, log):
        for line in stream:
            log.write(line)
            if not line.startswith("{"):
                continue
            a = json.loads(line)
            with self.lock:
                self.total += 1
                if a.get("rule") == "Soak Marker":
                    self.marks.add(a["output_fields"].get("fd.name"))


def churn_loop(stop, every, counts):
    """Starts a short-lived container every `every` s (at most two at once)."""
    running = []
    while not stop.wait(every):
        running = [p for p in running if p.poll() is None]
        if len(running) >= 2:
            continue
        running.append(subprocess.Popen(
            ["podman", "run", "--rm", "--network", "none", IMAGE, "sh", "-c",
             "cat /etc/passwd >/dev/null; sleep 2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        counts["containers"] += 1
    for p in running:
        p.wait()


def podman_ready():
    if not shutil.which("podman"):
        return "podman missing"
    r = subprocess.run(["bash", str(ROOT / "scripts/containers/setup-podman.sh")],
                       capture_output=True, text=True)
    return None if r.returncode == 0 else "setup-podman.sh failed"


COLUMNS = ["t_s", "rss_mib", "hwm_mib", "cpu_pct", "evts_per_s", "sent_per_s", "drops",
           "threads", "fds", "containers", "alerts", "marks_made", "marks_seen"]


def plot(out):
    if not shutil.which("gnuplot"):
        return "gnuplot missing (apt-get install gnuplot-nox): no soak.png"
    script = f"""
set terminal pngcairo size 1200,900
set output '{out}/soak.png'
set datafile separator ','
set key autotitle columnhead
set multiplot layout 2,2 title 'saker soak'
set xlabel 'minutes'
set title 'RSS (MiB)'
plot '{out}/samples.csv' using ($1/60):2 with lines title 'RSS', '' using ($1/60):3 with lines title 'peak'
set title 'saker CPU (% of one core)'
plot '{out}/samples.csv' using ($1/60):4 with lines title 'CPU'
set title 'events per second'
plot '{out}/samples.csv' using ($1/60):5 with lines title 'seen', '' using ($1/60):6 with lines title 'sent'
set title 'kernel drops (total) and markers lost'
plot '{out}/samples.csv' using ($1/60):7 with lines title 'drops', '' using ($1/60):($12-$13) with lines title 'markers not yet seen'
unset multiplot
"""
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if r.returncode != 0:
        return "gnuplot failed: " + r.stderr.strip()
    # pngcairo may be missing in gnuplot-nox: fall back to the png terminal
    return None


def summary(out, rows, args, lost, counts, note):
    lines = [f"# saker soak: {args.duration} s, syscall_load {args.rate} rounds/s, "
             f"a container every {args.churn} s", ""]
    lines.append("| minute | RSS MiB | peak MiB | CPU % | events/s seen | events/s sent | "
                 "drops | threads | fds | containers | alerts | markers made / seen |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    step = max(1, len(rows) // 12)
    for r in rows[::step] + ([rows[-1]] if rows and (len(rows) - 1) % step else []):
        lines.append(f"| {r['t_s'] / 60:.1f} | {r['rss_mib']:.1f} | {r['hwm_mib']:.1f} | "
                     f"{r['cpu_pct']:.1f} | {r['evts_per_s']:.0f} | {r['sent_per_s']:.0f} | "
                     f"{r['drops']:.0f} | {r['threads']:.0f} | {r['fds']:.0f} | "
                     f"{r['containers']:.0f} | {r['alerts']:.0f} | "
                     f"{r['marks_made']:.0f} / {r['marks_seen']:.0f} |")
    lines += ["", f"containers started: {counts['containers']}; markers lost: {lost}"]
    if note:
        lines.append(note)
    (pathlib.Path(out) / "summary.md").write_text("\n".join(lines) + "\n")


def main():
    args = parse_args()
    if os.geteuid() != 0:
        sys.exit("soak.py: needs root (the eBPF probe)")
    build(args.build)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    marks_dir = out / "marks"
    marks_dir.mkdir(exist_ok=True)
    (out / "soak_rules.yaml").write_text(MARK_RULE.format(d=marks_dir))
    rules = sorted(str(p) for p in (ROOT / "rules").glob("saker_*.yaml")
                   if "k8s_audit" not in p.name)
    argv = [f"{args.build}/saker", "-o", "json_output=true", "-o", "log_stderr=true",
            "-o", "log_syslog=false", "-o", "webserver.enabled=true",
            "-o", f"webserver.listen_port={args.port}", "-o", "webserver.listen_address=127.0.0.1",
            "-o", "metrics.enabled=true", "-o", "webserver.prometheus_metrics_enabled=true",
            "-o", "metrics.interval=1s"]
    for r in rules + [str(out / "soak_rules.yaml")]:
        argv += ["-r", r]
    errf = open(out / "saker.log", "w")
    sk = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errf, text=True,
                          stdin=subprocess.DEVNULL)
    alerts = Alerts(sk.stdout, open(out / "alerts.json", "w"))
    time.sleep(5)
    stop = threading.Event()
    counts = {"containers": 0}
    why = podman_ready() if args.churn > 0 else "churn off"
    churn = None
    if why is None:
        churn = threading.Thread(target=churn_loop, args=(stop, args.churn, counts), daemon=True)
        churn.start()
    else:
        print(f"soak.py: no container churn: {why}", file=sys.stderr)
    load = subprocess.Popen([f"{args.build}/bench/syscall_load", "-r", str(args.rate),
                             "-t", str(args.duration)], stdout=subprocess.DEVNULL)
    rows, made = [], 0
    t0 = time.monotonic()
    prev = (t0, proc_stats(sk.pid)[2], metrics(args.port))
    next_mark, next_sample = t0, t0 + args.every
    while time.monotonic() - t0 < args.duration and sk.poll() is None:
        now = time.monotonic()
        if now >= next_mark:
            made += 1
            open(marks_dir / f"mark-{made}", "w").close()
            next_mark += 1.0
        if now >= next_sample:
            m = metrics(args.port)
            rss, hwm, cpu = proc_stats(sk.pid)
            dt = now - prev[0]
            pm = prev[2]
            with alerts.lock:
                seen, total = len(alerts.marks), alerts.total
            rows.append({
                "t_s": now - t0, "rss_mib": rss, "hwm_mib": hwm,
                "cpu_pct": 100 * (cpu - prev[1]) / dt,
                "evts_per_s": (m.get("falcosecurity_scap_n_evts_total", 0) -
                               pm.get("falcosecurity_scap_n_evts_total", 0)) / dt,
                "sent_per_s": (m.get("saker_driver_events_sent_total", 0) -
                               pm.get("saker_driver_events_sent_total", 0)) / dt,
                "drops": m.get("falcosecurity_scap_n_drops_total", 0),
                "threads": m.get("falcosecurity_scap_n_threads_total", 0),
                "fds": m.get("falcosecurity_scap_n_fds_total", 0),
                "containers": m.get("saker_state_containers", 0),
                "alerts": total, "marks_made": made, "marks_seen": seen})
            prev = (now, cpu, m)
            next_sample += args.every
            r = rows[-1]
            print(f"{r['t_s']:7.0f} s  RSS {rss:6.1f} MiB  CPU {r['cpu_pct']:5.1f}%  "
                  f"seen {r['evts_per_s']:8.0f}/s  sent {r['sent_per_s']:8.0f}/s  "
                  f"drops {r['drops']:.0f}  markers {seen}/{made}", flush=True)
        time.sleep(0.05)
    up = sk.poll() is None
    stop.set()
    load.kill()
    load.wait()
    time.sleep(3)  # the last markers' alerts
    if up:
        sk.send_signal(2)
        sk.wait(timeout=60)
    alerts.t.join(timeout=10)
    with alerts.lock:
        seen = {f"{marks_dir}/mark-{i}" for i in range(1, made + 1)} & alerts.marks
    lost = made - len(seen)
    if churn:
        churn.join(timeout=30)
    with open(out / "samples.csv", "w") as f:
        f.write(",".join(COLUMNS) + "\n")
        for r in rows:
            f.write(",".join(f"{r[c]:.3f}" for c in COLUMNS) + "\n")
    note = plot(out)
    summary(out, rows, args, lost, counts, note)
    print((out / "summary.md").read_text())
    print(f"results in {out}; saker {'stayed up' if up else 'EXITED: see saker.log'}")
    return 0 if up and lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

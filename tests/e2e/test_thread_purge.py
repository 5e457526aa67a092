"""test_thread_purge.py — the thread table after lost events (issue 15; root
and kernel BTF, skips loudly otherwise): threads whose exit event was lost in
a ring drop leave the table once /proc no longer has them
(falco_libs.thread_table_auto_purging_interval_s / _thread_timeout_s, as
libsinsp's remove_inactive_threads); a process whose start was lost is read
from /proc at its first event, so its alerts name it (as libsinsp does).

How an exit is lost on purpose: saker is stopped (SIGSTOP) with the smallest
rings, a flood fills them, then SLEEPERS sleeping processes that saker saw
start are killed and reaped: their procexit events find the rings full. After
SIGCONT, with a 1 s interval and timeout, the purge must drop them (counted in
saker_state_threads_purged_total) and the marker rule keeps working."""
import os
import signal
import subprocess
import tempfile
import time

import pytest

from load_common import Live, bench_bin, live_or_skip

SLEEPERS = 100
PURGED = "saker_state_threads_purged_total"
THREADS = 'saker_state_table_entries{table="threads"}'


@pytest.fixture(scope="module")
def live(saker_bin, tmp_path_factory):
    live_or_skip()
    tmp = tmp_path_factory.mktemp("purge")
    lv = Live(saker_bin, tmp, extra=[
        "-o", "engine.modern_ebpf.buf_size_preset=1", "-o", "engine.modern_ebpf.kernel_filters=false",
        "-o", "falco_libs.thread_table_auto_purging_interval_s=1",
        "-o", "falco_libs.thread_table_auto_purging_thread_timeout_s=1"])
    lv.load = bench_bin(saker_bin, tmp, "syscall_load")
    yield lv
    assert lv.stop() == 0, "saker did not exit 0:\n" + "\n".join(lv.s.log()[-20:])


def test_threads_with_lost_exits_are_purged(live):
    sleepers = [subprocess.Popen(["sleep", "600"]) for _ in range(SLEEPERS)]
    live.mark(new_process=True)  # saker has read past the sleepers' starts
    m0 = live.metrics()
    os.kill(live.s.p.pid, signal.SIGSTOP)
    try:
        subprocess.run([live.load, "200000"], check=True, stdout=subprocess.DEVNULL)
        for p in sleepers:
            p.kill()
        for p in sleepers:
            p.wait()
    finally:
        os.kill(live.s.p.pid, signal.SIGCONT)
    end = time.monotonic() + 30
    m = live.metrics()
    while m[PURGED] - m0[PURGED] < SLEEPERS and time.monotonic() < end:
        live.mark()  # events move the event clock that paces the purge
        m = live.metrics()
    assert m["falcosecurity_scap_n_drops_total"] > m0["falcosecurity_scap_n_drops_total"], \
        "the flood did not fill the rings: no exit was lost, nothing to test"
    assert m[PURGED] - m0[PURGED] >= SLEEPERS, (
        f"{m[PURGED] - m0[PURGED]:.0f} threads purged, expected at least {SLEEPERS} "
        f"(threads in the table: {m0[THREADS]:.0f} before, {m[THREADS]:.0f} now)")
    assert m[THREADS] <= m0[THREADS] + 10
    live.mark(new_process=True)


def test_process_whose_start_was_lost_is_read_from_proc(live):
    """A shell started while the rings are full (its clone and execve are
    dropped) opens a marker afterwards: the alert must name it."""
    d = tempfile.mkdtemp(dir="/tmp")
    fifo = os.path.join(d, "go")
    os.mkfifo(fifo)
    marker = f"{live.d}/mk-lost-{os.getpid()}"
    m0 = live.metrics()
    os.kill(live.s.p.pid, signal.SIGSTOP)
    try:
        subprocess.run([live.load, "200000"], check=True, stdout=subprocess.DEVNULL)
        sh = subprocess.Popen(["sh", "-c", f"read x < {fifo}; : > {marker}; sleep 0.2",
                               "lostclone"])
        time.sleep(0.2)
    finally:
        os.kill(live.s.p.pid, signal.SIGCONT)
    # the rings are read empty again (a marker made while they are still
    # full is dropped: ready() makes new ones until one alerts)
    live.ready(timeout=60)
    with open(fifo, "w") as f:
        f.write("go\n")
    sh.wait(10)
    end = time.monotonic() + 20
    while not live.alerted(marker) and time.monotonic() < end:
        time.sleep(0.05)
    m = live.metrics()
    assert m["falcosecurity_scap_n_drops_total"] > m0["falcosecurity_scap_n_drops_total"], \
        "the flood did not fill the rings: nothing was lost, nothing to test"
    a = [a for a in live.s.alerts() if a.get("output_fields", {}).get("fd.name") == marker]
    assert a, "no alert for the marker"
    assert a[0]["output_fields"]["proc.name"] == "sh", a[0]["output_fields"]
    assert m['saker_state_proc_lookups_total{result="read"}'] >= 1
    os.unlink(fifo)
    os.rmdir(d)

"""Smoke test: the binary starts and answers --version."""
from conftest import run


def test_version(saker_bin):
    r = run([saker_bin, "--version"])
    assert r.returncode == 0, r.stderr
    assert "saker" in r.stdout.lower() or "falco" in r.stdout.lower()


CATCH_ALL = """\
- rule: every event
  desc: one alert per event
  condition: evt.num > 0
  output: "%evt.num %evt.type"
  priority: INFO
"""


def test_replay_loses_no_alert_to_a_full_queue(saker_bin, fixtures, tmp_path):
    """A replay has no deadline: with a 2-alert output queue and a reader
    slower than the engine, every alert still arrives (the engine waits)."""
    import subprocess
    import time
    rules = tmp_path / "all.yaml"
    rules.write_text(CATCH_ALL)
    args = [saker_bin, "-r", str(rules), "-e", str(fixtures / "traces" / "cat_write.scap"),
            "-o", "base_syscalls.all=true"]
    full = run(args + ["-o", "outputs_queue.capacity=0"])
    assert full.returncode == 0, full.stderr
    want = full.stdout.count(": every event") or full.stdout.count("\n")
    assert want > 100
    p = subprocess.Popen(args + ["-o", "outputs_queue.capacity=2"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)  # the pipe fills, the engine meets a full queue
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    got = out.count(": every event") or out.count("\n")
    assert got == want, f"{got} of {want} alerts with a full queue"

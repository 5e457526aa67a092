"""test_ops_reload.py — hot reload without a restart (engine.kind=nodriver,
no root needed): SIGHUP swaps in edited rules (seen in /metrics); a broken
rules file keeps the running set, logs the reason with file and line, raises
the "Falco internal: reload failed" alert and is counted; a Kubernetes
ConfigMap-style `..data` symlink swap triggers exactly one reload, an
unchanged touch none; RSS stays flat over many reloads (200 in CI,
SAKER_OPS_LONG=1 for 1,000)."""
import os
import signal
import time

import pytest

from ops_common import Saker, get, rss_kib, web_args

RULE = """
- rule: {name}
  desc: reload test rule
  condition: evt.type in (open, openat) and fd.name startswith /tmp/saker-ops-never/
  output: "{name} %fd.name"
  priority: WARNING
"""


def metrics_rules(port):
    from prometheus_client.parser import text_string_to_metric_families
    text = get(f"http://127.0.0.1:{port}/metrics")[2]
    for f in text_string_to_metric_families(text):
        if f.name == "falcosecurity_falco_rules_matches":
            return {s.labels["rule_name"] for s in f.samples}
    return set()


def reload_counts(port):
    from prometheus_client.parser import text_string_to_metric_families
    text = get(f"http://127.0.0.1:{port}/metrics")[2]
    for f in text_string_to_metric_families(text):
        if f.name == "saker_reloads":
            return {s.labels["result"]: int(s.value) for s in f.samples}
    return {}


def start(saker_bin, rules_arg, extra=()):
    return Saker(saker_bin, ["-r", str(rules_arg), "-o", "engine.kind=nodriver",
                             "-o", "json_output=true", "-o", "stdout_output.enabled=true",
                             "-o", "metrics.include_empty_values=true", *web_args(), *extra])


def wait_for(pred, timeout=5.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_sighup_and_broken_rules(saker_bin, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULE.format(name="Rule A"))
    s = start(saker_bin, rules, ["-o", "watch_config_files=false"])
    try:
        port = s.port()
        assert metrics_rules(port) == {"Rule A"}
        rules.write_text(RULE.format(name="Rule B"))
        s.p.send_signal(signal.SIGHUP)
        s.wait_log(r"Reload #1: new configuration and rules active")
        wait_for(lambda: metrics_rules(port) == {"Rule B"}, what="Rule B in /metrics")
        # a broken file (bad YAML on line 3): the running set stays
        rules.write_text("- rule: Broken\n  desc: x\n  condition: [evt.type = open\n")
        s.p.send_signal(signal.SIGHUP)
        m = s.wait_log(r"Reload failed, the running configuration and rules stay active: (.*)")
        assert "rules.yaml" in m.group(0)
        wait_for(lambda: any(a["rule"] == "Falco internal: reload failed" for a in s.alerts()),
                 what="the reload failed internal alert")
        a = [a for a in s.alerts() if a["rule"] == "Falco internal: reload failed"][0]
        assert a["source"] == "internal" and a["priority"] == "Error"
        assert "rules.yaml" in a["output_fields"]["reason"]
        assert metrics_rules(port) == {"Rule B"}
        wait_for(lambda: reload_counts(port) == {"ok": 1, "failed": 1}, what="reload counters")
        # a rule with a bad condition: reported with its position too
        rules.write_text(RULE.format(name="Rule C").replace("evt.type in", "evt.nosuchfield in"))
        s.p.send_signal(signal.SIGHUP)
        s.wait_log(r"Reload failed", count=2)
        assert metrics_rules(port) == {"Rule B"}
        # fixed again: applies
        rules.write_text(RULE.format(name="Rule D"))
        s.p.send_signal(signal.SIGHUP)
        s.wait_log(r"Reload #2: new configuration and rules active")
        wait_for(lambda: metrics_rules(port) == {"Rule D"}, what="Rule D")
    finally:
        assert s.stop() == 0


def configmap_dir(root, gen, text):
    """Writes ROOT/..GEN/rules.yaml as the kubelet's atomic writer does."""
    d = root / f"..{gen}"
    d.mkdir()
    (d / "rules.yaml").write_text(text)
    return d


def swap_data(root, gen):
    tmp = root / "..data_tmp"
    os.symlink(f"..{gen}", tmp)
    os.rename(tmp, root / "..data")


def test_configmap_symlink_swap_reloads_once(saker_bin, tmp_path):
    root = tmp_path / "cm"
    root.mkdir()
    old = configmap_dir(root, "2026_12_03_1", RULE.format(name="CM One"))
    os.symlink("..2026_12_03_1", root / "..data")
    os.symlink("..data/rules.yaml", root / "rules.yaml")
    s = start(saker_bin, root / "rules.yaml")
    try:
        port = s.port()
        s.wait_log(r"Watching \d+ directories")
        assert metrics_rules(port) == {"CM One"}
        configmap_dir(root, "2026_12_03_2", RULE.format(name="CM Two"))
        swap_data(root, "2026_12_03_2")
        for f in old.iterdir():
            f.unlink()
        old.rmdir()
        s.wait_log(r"Reload #1: new configuration and rules active")
        wait_for(lambda: metrics_rules(port) == {"CM Two"}, what="CM Two")
        time.sleep(1.5)
        assert len(s.reloads()) == 1, s.log()
        # touching without a change does not reload
        os.utime(root / "..2026_12_03_2" / "rules.yaml")
        time.sleep(1.0)
        assert len(s.reloads()) == 1
        assert reload_counts(port) == {"ok": 1, "failed": 0}
    finally:
        assert s.stop() == 0


def test_rules_directory_edit_reloads(saker_bin, tmp_path):
    d = tmp_path / "rules.d"
    d.mkdir()
    (d / "a.yaml").write_text(RULE.format(name="Dir A"))
    s = start(saker_bin, d)
    try:
        port = s.port()
        s.wait_log(r"Watching \d+ directories")
        (d / "b.yaml").write_text(RULE.format(name="Dir B"))
        s.wait_log(r"Reload #1: new configuration and rules active")
        wait_for(lambda: metrics_rules(port) == {"Dir A", "Dir B"}, what="both rules")
    finally:
        assert s.stop() == 0


@pytest.mark.parametrize("n", [int(os.environ.get("SAKER_OPS_RELOADS",
                                                  "1000" if os.environ.get("SAKER_OPS_LONG") else "150"))])
def test_rss_stable_over_reloads(saker_bin, tmp_path, n):
    """RSS after n reloads of a 60-rule file stays within a small bound of
    the RSS after the first 20 (allocator warm-up)."""
    rules = tmp_path / "rules.yaml"
    rules.write_text("".join(RULE.format(name=f"Leak {i}") for i in range(60)))
    s = start(saker_bin, rules, ["-o", "watch_config_files=false"])
    try:
        s.port()
        warm = 20
        base = None
        for i in range(1, n + 1):
            s.p.send_signal(signal.SIGHUP)
            s.wait_log(rf"Reload #{i}: ", timeout=20)
            if i == warm:
                base = rss_kib(s.p.pid)
        growth = rss_kib(s.p.pid) - base
        print(f"RSS growth over {n - warm} reloads: {growth} KiB")
        assert growth < 4096, f"RSS grew by {growth} KiB over {n - warm} reloads"
    finally:
        assert s.stop() == 0


def test_asan_reloads_scrapes_and_spool(tmp_path):
    """The ASan/UBSan binary (SAKER_ASAN_BIN, set by scripts/test.sh) through
    reloads (good and broken), scrapes of every endpoint, a metrics alert
    stream to a receiver that is down then up, and a clean stop: no
    sanitizer report, no leak at exit."""
    asan = os.environ.get("SAKER_ASAN_BIN")
    if not asan or not os.access(asan, os.X_OK):
        pytest.skip("SAKER_ASAN_BIN not set")
    from test_ops_delivery import Receiver
    rcv = Receiver()
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULE.format(name="Asan 0"))
    s = Saker(asan, ["-r", str(rules), *web_args(), "-o", "engine.kind=nodriver",
                     "-o", "json_output=true", "-o", "metrics.interval=100ms",
                     "-o", "metrics.output_rule=true", "-o", "http_output.enabled=true",
                     "-o", f"http_output.url=http://127.0.0.1:{rcv.port}/a",
                     "-o", "http_output.spool_capacity=5", "-o", "watch_config_files=false"],
              env={"ASAN_OPTIONS": "detect_leaks=1"})
    try:
        port = s.port()
        rcv.down()
        for i in range(1, 31):
            rules.write_text(RULE.format(name=f"Asan {i}") if i % 10 else "- rule: [broken\n")
            s.p.send_signal(signal.SIGHUP)
            # a broken file waits for its own failure line: "Reload #N-1"
            # is already in the log, and the next write could race this
            # reload (it would then compile the good file, as a number the
            # later reload replaces before the engine takes it)
            s.wait_log(rf"Reload #{i - i // 10}: " if i % 10 else "Reload failed", timeout=30,
                       count=1 if i % 10 else i // 10)
            for path in ("/healthz", "/versions", "/metrics"):
                assert get(f"http://127.0.0.1:{port}{path}")[0] == 200
        rcv.up()
        time.sleep(1.0)
    finally:
        rc = s.stop(timeout=60)
    log = "\n".join(s.log())
    assert "AddressSanitizer" not in log and "runtime error" not in log, log[-3000:]
    assert rc == 0, log[-3000:]

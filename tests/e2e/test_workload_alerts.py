"""Acceptance: replaying the workload capture recorded with Falco 0.44.1 gives
byte-for-byte the alerts Falco gave (stable rules, and stable + incubating +
sandbox), and Falco's end-of-run summary."""
import collections
import json
import os

import pytest

from conftest import run

CAPTURE = "traces/current/workload-falco-0.44.1.scap.gz"
RULESETS = {
    "stable": ["falco_rules.yaml"],
    "all": ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"],
}

# The settings of the falco.yaml the alerts were recorded with that matter to
# alerts (see the fixture README): stdout JSON alerts with the default JSON
# properties, the container plugin's suggested output fields appended.
CONFIG = """\
config_files: []
watch_config_files: false
load_plugins: [container]
priority: debug
rule_matching: first
json_output: true
json_include_output_property: true
json_include_tags_property: true
json_include_output_fields_property: true
append_output:
  - suggested_output: true
stdout_output:
  enabled: true
syslog_output:
  enabled: false
log_stderr: true
log_syslog: false
"""


@pytest.mark.parametrize("which", sorted(RULESETS))
def test_workload_alerts(saker_bin, fixtures, tmp_path, which):
    cap = fixtures / CAPTURE
    expected_path = fixtures / CAPTURE.replace(".scap.gz", ".%s.alerts.jsonl" % which)
    if not cap.exists() or not expected_path.exists():
        pytest.skip("workload capture or its expected alerts are missing")
    conf = tmp_path / "falco.yaml"
    conf.write_text(CONFIG)
    args = [saker_bin, "-c", str(conf), "-o", "engine.kind=replay",
            "-o", "engine.replay.capture_file=%s" % cap]
    for f in RULESETS[which]:
        args += ["-r", str(fixtures / "upstream-rules" / f)]
    env = dict(os.environ, FALCO_HOSTNAME="vm", TZ="UTC")
    r = run(args, env=env)
    assert r.returncode == 0, r.stderr[-2000:]

    got = [l for l in r.stdout.splitlines() if l.startswith("{")]
    want = expected_path.read_text().splitlines()
    # Same alerts, in the same order, byte for byte (the hostname is pinned).
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, "alert %d differs:\n got  %s\n want %s" % (i, g, w)
    assert len(got) == len(want)

    # Falco's summary after a replay.
    counts = collections.Counter(json.loads(l)["rule"] for l in want)
    prios = collections.Counter(json.loads(l)["priority"] for l in want)
    assert "Events detected: %d\n" % len(want) in r.stdout
    assert "Rule counts by severity:\n" in r.stdout
    short = {"Informational": "INFO"}
    for p, n in prios.items():
        assert "   %s: %d\n" % (short.get(p, p.upper()), n) in r.stdout
    tail = r.stdout.split("Triggered rules by rule name:\n", 1)[1]
    lines = tail.splitlines()
    assert sorted(lines) == sorted("   %s: %d" % kv for kv in counts.items())


def test_replay_missing_capture(saker_bin, fixtures, tmp_path):
    conf = tmp_path / "falco.yaml"
    conf.write_text(CONFIG)
    r = run([saker_bin, "-c", str(conf), "-r", str(fixtures / "upstream-rules/falco_rules.yaml"),
             "-e", str(tmp_path / "nope.scap")])
    assert r.returncode == 1
    assert "Error:" in r.stderr
    assert "Events detected" not in r.stdout

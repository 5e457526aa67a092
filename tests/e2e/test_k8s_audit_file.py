"""The k8s_audit source replaying audit events from a file (open_params
file://PATH of the k8saudit plugin configuration), end to end.

- Every audit fixture with a regression expectation (suite final, Falco's
  default falco_rules.yaml + k8s_audit_rules.yaml): the rules the upstream case
  expects fire, counted from saker's JSON alerts, and each alert is a
  k8s_audit alert whose time is the event's stageTimestamp.
- Every JSON under ../shared/fixtures/k8s_audit (psp/ too) with the current
  upstream k8s_audit_rules.yaml and rule_matching: all: exit 0, well-formed
  alerts in file order.
- The worked example of reference/k8saudit.md: the exact text line.
- Both sources in one run: a .scap replay and an audit file, each with its
  rules, one summary.
- Configuration errors: unknown init_config key, bad open_params, an unknown
  --enable-source.
"""
import datetime
import json
import re

import pytest

from conftest import run

K8S_CONF = """\
stdout_output:
  enabled: true
json_output: {json}
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    init_config: {init}
    open_params: "{open}"
  - name: json
    library_path: libjson.so
    init_config: ""
load_plugins: [k8saudit, json]
"""


def write_conf(tmp_path, open_params, json_output=True, init='""', name="k8s.yaml"):
    p = tmp_path / name
    p.write_text(K8S_CONF.format(json="true" if json_output else "false", init=init,
                                 open=open_params))
    return p


def saker(saker_bin, conf, rules, *extra):
    argv = [saker_bin, "-c", str(conf)]
    for r in rules:
        argv += ["-r", str(r)]
    argv += ["-o", "priority=debug", *extra]
    return run(argv, env={"TZ": "UTC", "PATH": "/usr/bin:/bin"}, timeout=60)


def alerts(stdout):
    out = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def stage_times(path):
    """stageTimestamp of every event of a JSON-lines audit file, as Falco's
    JSON alert "time" prints it (UTC, 9 fraction digits)."""
    times = []
    for line in open(path):
        if not line.strip():
            continue
        doc = json.loads(line)
        items = doc.get("items", []) if doc.get("kind") == "EventList" else [doc]
        for ev in items:
            ts = ev.get("stageTimestamp")
            if not ts:
                continue
            m = re.match(r"(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$", ts)
            frac = (m.group(2) or "").ljust(9, "0")[:9]
            times.append(f"{m.group(1)}.{frac}Z")
    return times


def final_cases(fixtures):
    path = fixtures / "regression" / "cases.json"
    if not path.is_file():
        pytest.skip(f"regression cases not found at {path}")
    cases = json.load(open(path))["cases"]
    rules = ["regression/final/default_rules/falco_rules.yaml",
             "regression/final/default_rules/k8s_audit_rules.yaml"]
    return [c for c in cases if c["category"] == "k8s_audit" and c["suite"] == "final"
            and c["rules_files"] == rules and not c["options"].get("disabled_rules")]


def test_expected_rules_fire(saker_bin, fixtures, tmp_path):
    cases = final_cases(fixtures)
    assert len(cases) >= 25, f"only {len(cases)} cases with the default rules"
    for case in cases:
        inp = fixtures / case["input"]["path"]
        conf = write_conf(tmp_path, "file://" + str(inp))
        r = saker(saker_bin, conf, [fixtures / f for f in case["rules_files"]],
                  "--enable-source=k8s_audit")
        assert r.returncode == 0, f"{case['id']}: {r.stderr}"
        got = alerts(r.stdout)
        counts = {}
        for a in got:
            counts[a["rule"]] = counts.get(a["rule"], 0) + 1
        want = case["expect"].get("detect_counts", {})
        for rule, n in want.items():
            assert counts.get(rule, 0) == n, f"{case['id']}: {rule}: {counts}"
        if not case["expect"]["detect"]:
            assert not got, f"{case['id']}: unexpected alerts {counts}"
        else:
            assert got, f"{case['id']}: no alert"
        times = stage_times(inp)
        for a in got:
            assert a["source"] == "k8s_audit"
            assert a["time"] in times, f"{case['id']}: time {a['time']} not a stageTimestamp"
            assert "k8s" in a["tags"]
            assert isinstance(a["output_fields"]["evt.time"], int)


def audit_files(fixtures):
    root = fixtures / "k8s_audit"
    if not root.is_dir():
        pytest.skip(f"audit fixtures not found at {root}")
    return sorted(root.rglob("*.json"))


def test_every_fixture_replays(saker_bin, fixtures, tmp_path):
    rules = fixtures / "upstream-rules" / "k8s_audit_rules.yaml"
    files = audit_files(fixtures)
    assert len(files) >= 70
    total = 0
    for f in files:
        conf = write_conf(tmp_path, "file://" + str(f))
        r = saker(saker_bin, conf, [rules], "--enable-source=k8s_audit",
                  "-o", "rule_matching=all")
        assert r.returncode == 0, f"{f.name}: {r.stderr}"
        m = re.search(r"^Events detected: (\d+)$", r.stdout, re.M)
        assert m, f"{f.name}: no summary"
        got = alerts(r.stdout)
        assert len(got) == int(m.group(1))
        total += len(got)
        times = stage_times(f) if f.name != "fal_01_003.json" else []
        # alerts come in the file's event order (no reordering)
        order = [times.index(a["time"]) for a in got]
        assert order == sorted(order), f"{f.name}: alerts out of order"
        if f.name == "fal_01_003.json":
            assert "data not recognized as a k8s audit event" in r.stderr
    assert total > 40


def test_worked_example_text(saker_bin, fixtures, tmp_path):
    f = fixtures / "k8s_audit" / "create_nginx_pod_privileged.json"
    if not f.is_file():
        pytest.skip("create_nginx_pod_privileged.json not found")
    conf = write_conf(tmp_path, str(f), json_output=False)
    r = saker(saker_bin, conf, [fixtures / "upstream-rules" / "k8s_audit_rules.yaml"],
              "--enable-source=k8s_audit")
    assert r.returncode == 0, r.stderr
    line = ("14:09:12.581541000: Warning Pod started with privileged container "
            "(user=system:serviceaccount:kube-system:replicaset-controller "
            "pod=nginx-deployment-5cdcc99dbf-rgw6z resource=pods ns=default images=(nginx) "
            "init_images=<NA> ephemeral_images=<NA>)")
    assert line in r.stdout.splitlines(), r.stdout
    assert "Create Privileged Pod: 1" in r.stdout


def test_both_sources_one_run(saker_bin, fixtures, tmp_path):
    scap = fixtures / "traces" / "cat_write.scap"
    audit = fixtures / "k8s_audit" / "exec_pod.json"
    if not scap.is_file() or not audit.is_file():
        pytest.skip("cat_write.scap or exec_pod.json not found")
    rules = tmp_path / "both.yaml"
    rules.write_text(
        "- rule: any open\n  desc: d\n  condition: evt.type in (open, openat, openat2)\n"
        "  output: open %fd.name\n  priority: INFO\n"
        "- rule: any exec\n  desc: d\n  condition: ka.target.subresource = exec\n"
        "  output: exec %ka.target.name by %ka.user.name (%evt.source)\n  priority: NOTICE\n"
        "  source: k8s_audit\n")
    conf = write_conf(tmp_path, "file://" + str(audit))
    r = saker(saker_bin, conf, [rules], "-o", "engine.kind=replay",
              "-o", "engine.replay.capture_file=" + str(scap))
    assert r.returncode == 0, r.stderr
    got = alerts(r.stdout)
    by = {}
    for a in got:
        by.setdefault(a["rule"], []).append(a)
    assert by.get("any exec") and all(a["source"] == "k8s_audit" for a in by["any exec"])
    assert by["any exec"][0]["output"].endswith("(k8s_audit)")
    assert by.get("any open") and all(a["source"] == "syscall" for a in by["any open"])
    m = re.search(r"^Events detected: (\d+)$", r.stdout, re.M)
    assert int(m.group(1)) == len(got)
    assert re.search(r"^   any exec: %d$" % len(by["any exec"]), r.stdout, re.M)
    assert re.search(r"^   any open: %d$" % len(by["any open"]), r.stdout, re.M)
    # --disable-source=syscall keeps only the audit source
    r = saker(saker_bin, conf, [rules], "-o", "engine.kind=replay",
              "-o", "engine.replay.capture_file=" + str(scap), "--disable-source=syscall")
    assert r.returncode == 0, r.stderr
    assert {a["rule"] for a in alerts(r.stdout)} == {"any exec"}


@pytest.mark.parametrize("init,open_params,extra,msg", [
    ('{"maxEventSize": 1000, "nosuch": 1}', "file:///dev/null", [], "unknown key 'nosuch'"),
    ('{maxEventSize: -1}', "file:///dev/null", [], "maxEventSize must be a positive integer"),
    ('""', "ftp://x/y", [], "unknown scheme"),
    ('""', "http://:99999/k8s-audit", [], "bad port"),
    ('""', "file:///dev/null", ["--enable-source=nosuch"],
     "Attempted enabling an unknown event source: nosuch"),
    ('""', "file:///dev/null", ["--enable-source=k8s_audit", "--disable-source=syscall"],
     "can not mix"),
])
def test_config_errors(saker_bin, fixtures, tmp_path, init, open_params, extra, msg):
    rules = fixtures / "upstream-rules" / "k8s_audit_rules.yaml"
    conf = write_conf(tmp_path, open_params, init=init)
    r = saker(saker_bin, conf, [rules], *extra)
    assert r.returncode != 0
    assert msg in r.stderr, r.stderr


def test_enable_source_needs_the_plugin(saker_bin, fixtures, tmp_path):
    conf = tmp_path / "plain.yaml"
    conf.write_text("stdout_output:\n  enabled: true\n")
    r = saker(saker_bin, conf, [fixtures / "upstream-rules" / "k8s_audit_rules.yaml"],
              "--enable-source=k8s_audit")
    assert r.returncode != 0
    assert "Attempted enabling an unknown event source: k8s_audit" in r.stderr


def test_empty_file_ends(saker_bin, fixtures, tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text("\n\n")
    conf = write_conf(tmp_path, "file://" + str(empty))
    t0 = datetime.datetime.now()
    r = saker(saker_bin, conf, [fixtures / "upstream-rules" / "k8s_audit_rules.yaml"],
              "--enable-source=k8s_audit")
    assert r.returncode == 0, r.stderr
    assert "Events detected: 0" in r.stdout
    assert (datetime.datetime.now() - t0).total_seconds() < 10


def test_legacy_e_flag(saker_bin, fixtures, tmp_path):
    """Falco 0.22: `-e FILE.json` replays audit events (no plugin entry)."""
    f = fixtures / "k8s_audit" / "create_nginx_pod_privileged.json"
    rules = fixtures / "upstream-rules" / "v0.22.1" / "k8s_audit_rules.yaml"
    if not f.is_file() or not rules.is_file():
        pytest.skip("v0.22.1 rules or audit fixture not found")
    conf = tmp_path / "plain.yaml"
    conf.write_text("stdout_output:\n  enabled: true\njson_output: true\n")
    r = saker(saker_bin, conf, [rules], "-e", str(f))
    assert r.returncode == 0, r.stderr
    got = alerts(r.stdout)
    assert [a["rule"] for a in got] == ["Create Privileged Pod"]
    assert got[0]["time"] == "2018-10-25T14:09:12.581541000Z"
    r = saker(saker_bin, conf, [rules], "-e", str(f), "--disable-source=k8s_audit")
    assert r.returncode != 0


def test_rules_rate_limit(saker_bin, fixtures, tmp_path):
    """rules_rate_limit (saker) applies to k8s_audit rules too, on event time."""
    f = fixtures / "k8s_audit" / "create_nginx_pod_privileged.json"
    if not f.is_file():
        pytest.skip("create_nginx_pod_privileged.json not found")
    many = tmp_path / "many.json"
    line = f.read_text().strip()
    many.write_text((line + "\n") * 5)  # five events at the same stageTimestamp
    conf = write_conf(tmp_path, "file://" + str(many))
    rules = fixtures / "upstream-rules" / "k8s_audit_rules.yaml"
    r = saker(saker_bin, conf, [rules], "--enable-source=k8s_audit",
              "-o", "rules_rate_limit.rate=1", "-o", "rules_rate_limit.max_burst=1")
    assert r.returncode == 0, r.stderr
    assert [a["rule"] for a in alerts(r.stdout)] == ["Create Privileged Pod"]
    assert "Create Privileged Pod: 5" in r.stdout
    r = saker(saker_bin, conf, [rules], "--enable-source=k8s_audit")
    assert len(alerts(r.stdout)) == 5


def test_file_limits(saker_bin, fixtures, tmp_path):
    """A missing file is a start-up error; a line over maxEventSize stops the
    replay (the events before it are evaluated) and saker ends normally."""
    rules = fixtures / "upstream-rules" / "k8s_audit_rules.yaml"
    conf = write_conf(tmp_path, "file://" + str(tmp_path / "missing.json"))
    r = saker(saker_bin, conf, [rules], "--enable-source=k8s_audit")
    assert r.returncode != 0
    assert "could not open k8s audit file" in r.stderr
    f = fixtures / "k8s_audit" / "create_nginx_pod_privileged.json"
    if not f.is_file():
        pytest.skip("create_nginx_pod_privileged.json not found")
    mixed = tmp_path / "mixed.json"
    line = f.read_text().strip()
    mixed.write_text(line + "\n" + "[" + " " * 300000 + "]\n" + line + "\n")
    conf = write_conf(tmp_path, "file://" + str(mixed), init="{maxEventSize: 10000}")
    r = saker(saker_bin, conf, [rules], "--enable-source=k8s_audit")
    assert r.returncode == 0, r.stderr
    assert len(alerts(r.stdout)) == 1
    assert "line #2" in r.stderr and "longer than maxEventSize" in r.stderr

"""test_ops_web.py — the web server over real loopback HTTP: /healthz
({"status": "ok"}, 503 while the engine thread is stalled through the
SAKER_TEST_HOOKS SIGUSR2 hook, 200 again after), /versions (Falco's fields
and saker's version), /metrics parsed by the Prometheus client library's
parser with every series Falco 0.44.1 exposes (tests/e2e/data/
falco_metrics_series.txt) present with its type and label keys, TLS with a
generated certificate, the metrics snapshot file and internal alert. Runs
saker with engine.kind=nodriver (no probe: no root needed)."""
import json
import pathlib
import shutil
import signal
import subprocess
import time

import pytest

from ops_common import Saker, get, tls_context, web_args

DATA = pathlib.Path(__file__).resolve().parent / "data"
RULES = """
- rule: Ops Marker
  desc: a file named like an ops test marker was opened
  condition: evt.type in (open, openat) and fd.name startswith /tmp/saker-ops-never/
  output: marker %fd.name
  priority: WARNING
  tags: [host, T1555, maturity_stable]
"""


@pytest.fixture()
def rules(tmp_path):
    p = tmp_path / "rules.yaml"
    p.write_text(RULES)
    return p


def falco_series():
    out = []
    for line in (DATA / "falco_metrics_series.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split()
        out.append((parts[0], parts[1], set(parts[2].split(",")) if len(parts) > 2 else set()))
    return out


def test_healthz_versions_and_stall(saker_bin, rules):
    s = Saker(saker_bin, ["-r", str(rules), "-o", "engine.kind=nodriver",
                          "-o", "webserver.healthz_stall_timeout_ms=400", *web_args()],
              env={"SAKER_TEST_HOOKS": "1"})
    try:
        base = f"http://127.0.0.1:{s.port()}"
        st, ct, body = get(base + "/healthz")
        assert (st, ct, body) == (200, "application/json", '{"status": "ok"}')
        st, ct, body = get(base + "/versions")
        assert st == 200 and ct == "application/json"
        v = json.loads(body)
        for k in ("falco_version", "libs_version", "engine_version", "engine_version_semver",
                  "plugin_api_version", "driver_api_version", "driver_schema_version",
                  "default_driver_version", "saker_version"):
            assert isinstance(v[k], str) and v[k], k
        assert v["falco_version"] == "0.44.1" and v["engine_version"] == "62"
        assert get(base + "/nope")[0] == 404
        # curl too, as a probe would
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                            base + "/healthz"], capture_output=True, text=True, timeout=10)
        assert r.stdout == "200"
        # stall the engine thread: 503 within the stall timeout (+ slack), then 200
        s.p.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 5
        while get(base + "/healthz")[0] != 503:
            assert time.monotonic() < deadline, "healthz never went 503 on a stalled engine"
            time.sleep(0.1)
        st, _, body = get(base + "/healthz")
        assert st == 503 and "no progress" in body
        s.p.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 5
        while get(base + "/healthz")[0] != 200:
            assert time.monotonic() < deadline, "healthz did not recover"
            time.sleep(0.1)
    finally:
        assert s.stop() == 0


def test_metrics_prometheus_parser(saker_bin, rules, tmp_path):
    from prometheus_client.parser import text_string_to_metric_families
    conf = tmp_path / "saker.yaml"
    conf.write_text("json_output: false\nstdout_output:\n  enabled: true\n")
    s = Saker(saker_bin, ["-c", str(conf), "-r", str(rules), "-o", "engine.kind=nodriver",
                          "-o", "metrics.include_empty_values=true", *web_args()])
    try:
        base = f"http://127.0.0.1:{s.port()}"
        st, ct, text = get(base + "/metrics")
        assert st == 200 and ct.startswith("text/plain")
        fams = {}
        for f in text_string_to_metric_families(text):
            assert f.name not in fams, f"family {f.name} twice"
            fams[f.name] = f
        missing = []
        for name, typ, labels in falco_series():
            # the parser names a counter family without its _total suffix
            f = fams.get(name) or (fams.get(name[:-6]) if name.endswith("_total") else None)
            if f is None:
                missing.append(name)
                continue
            assert f.type == typ, (name, f.type, typ)
            assert f.samples, name
            for smp in f.samples:
                keys = {k for k in smp.labels if not k.startswith("tag_")}
                assert keys == labels, (name, keys, labels)
        assert not missing, f"series missing from /metrics: {missing}"
        rm = fams["falcosecurity_falco_rules_matches"].samples[0].labels
        assert rm["rule_name"] == "Ops Marker" and rm["priority"] == "4"
        assert rm["tag_T1555"] == "true" and rm["tag_maturity_stable"] == "true"
        sha = fams["falcosecurity_falco_sha256_rules_files_info"].samples[0].labels
        assert sha["file_name"] == "rules.yaml" and len(sha["sha256"]) == 64
        # saker's own series
        for n in ("saker_events", "saker_reloads", "saker_outputs_queue_depth",
                  "saker_output_channel_dropped", "saker_output_channel_spool_depth",
                  "saker_state_containers", "saker_version_info"):
            assert n in fams, n
        assert {x.labels["channel"] for x in fams["saker_output_channel_dropped"].samples} \
            == {"stdout"}
        # the duration counter moves
        time.sleep(1.2)
        again = {f.name: f for f in text_string_to_metric_families(get(base + "/metrics")[2])}
        d0 = fams["falcosecurity_falco_duration_seconds"].samples[0].value
        d1 = again["falcosecurity_falco_duration_seconds"].samples[0].value
        assert d1 > d0
    finally:
        assert s.stop() == 0


def test_metrics_disabled_and_custom_healthz(saker_bin, rules):
    s = Saker(saker_bin, ["-r", str(rules), "-o", "engine.kind=nodriver",
                          "-o", "webserver.k8s_healthz_endpoint=/live",
                          *web_args(metrics=False)])
    try:
        base = f"http://127.0.0.1:{s.port()}"
        assert get(base + "/live")[0] == 200
        assert get(base + "/metrics")[0] == 404  # metrics.enabled is false
    finally:
        assert s.stop() == 0


def test_tls(saker_bin, rules, tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    key, cert, pem = tmp_path / "k.pem", tmp_path / "c.pem", tmp_path / "saker.pem"
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    pem.write_text(cert.read_text() + key.read_text())
    s = Saker(saker_bin, ["-r", str(rules), "-o", "engine.kind=nodriver",
                          "-o", "webserver.ssl_enabled=true",
                          "-o", f"webserver.ssl_certificate={pem}", *web_args()])
    try:
        port = s.port()
        st, _, body = get(f"https://127.0.0.1:{port}/healthz", context=tls_context(str(cert)))
        assert (st, body) == (200, '{"status": "ok"}')
        st, _, text = get(f"https://127.0.0.1:{port}/metrics", context=tls_context(str(cert)))
        assert st == 200 and "falcosecurity_scap_n_evts_total" in text
        r = subprocess.run(["curl", "-s", "--cacert", str(cert), f"https://127.0.0.1:{port}/versions"],
                           capture_output=True, text=True, timeout=10)
        assert json.loads(r.stdout)["saker_version"]
        # plain HTTP on the TLS port is refused
        r = subprocess.run(["curl", "-s", "-m", "3", f"http://127.0.0.1:{port}/healthz"],
                           capture_output=True, text=True, timeout=10)
        assert '{"status": "ok"}' not in r.stdout
    finally:
        assert s.stop() == 0


def test_bad_certificate_fails_at_start(saker_bin, rules, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    r = subprocess.run([saker_bin, "-r", str(rules), "-o", "engine.kind=nodriver",
                        "-o", "webserver.ssl_enabled=true", "-o", f"webserver.ssl_certificate={bad}",
                        "-o", "log_stderr=true", *web_args()],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "ssl_certificate" in r.stderr


def test_metrics_snapshot_file_and_alert(saker_bin, rules, tmp_path):
    out = tmp_path / "metrics.jsonl"
    s = Saker(saker_bin, ["-r", str(rules), "-o", "engine.kind=nodriver", "-o", "json_output=true",
                          "-o", "metrics.enabled=true", "-o", "metrics.interval=200ms",
                          "-o", "metrics.output_rule=true", "-o", f"metrics.output_file={out}"])
    try:
        deadline = time.monotonic() + 10
        while len([a for a in s.alerts() if a["rule"] == "Falco internal: metrics snapshot"]) < 3:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        assert s.stop() == 0
    a = [a for a in s.alerts() if a["rule"] == "Falco internal: metrics snapshot"][0]
    assert a["priority"] == "Informational" and a["source"] == "internal"
    assert a["output"].endswith(")") and "Falco metrics snapshot" in a["output"]
    f = a["output_fields"]
    assert f["falco.version"] == "0.44.1" and f["scap.engine_name"] == "nodriver"
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) >= 3
    assert [x["sample"] for x in lines] == list(range(1, len(lines) + 1))
    assert lines[0]["output_fields"]["falco.version"] == "0.44.1"

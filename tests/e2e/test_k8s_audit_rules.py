"""test_k8s_audit_rules.py — saker's Kubernetes audit rules
(rules/saker_k8s_audit.yaml) against real audit events: each event file of
../shared/fixtures/k8s_audit is replayed through the k8saudit source and must
raise exactly the rules listed for it here (an empty set for the benign
ones). Skips when the fixtures are absent or the binary has no k8s_audit
source yet."""
import json
import pathlib

import pytest

from conftest import run

ROOT = pathlib.Path(__file__).resolve().parents[2]
RULES = ROOT / "rules" / "saker_k8s_audit.yaml"
DATA = pathlib.Path(__file__).resolve().parent / "data"

# event file -> the rules it must raise (files not listed must raise none)
EXPECTED = {
    "anonymous_creates_namespace_foo.json": {"K8s Anonymous Request Allowed"},
    "attach_cluster_admin_role.json": {"K8s Cluster Admin Binding Created"},
    "attach_pod.json": {"K8s Exec Or Attach Into Pod"},
    "exec_pod.json": {"K8s Exec Or Attach Into Pod"},
    "create_cluster_role_wildcard_resources.json": {"K8s Role With Wildcard Created"},
    "create_cluster_role_wildcard_verbs.json": {"K8s Role With Wildcard Created"},
    "create_configmap_sensitive_values.json": {"K8s ConfigMap With Secrets"},
    "create_nginx_pod_hostnetwork.json": {"K8s Pod With Host Namespaces Created"},
    "create_nginx_pod_privileged.json": {"K8s Privileged Pod Created"},
    "create_nginx_pod_privileged_2nd_container.json": {"K8s Privileged Pod Created"},
    "create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json":
        {"K8s Privileged Pod Created"},
    "create_nginx_pod_sensitive_mount.json": {"K8s Pod With Sensitive Host Path Created"},
    "create_nginx_pod_sensitive_mount_2nd_container.json":
        {"K8s Pod With Sensitive Host Path Created"},
    "create_nginx_service_nodeport.json": {"K8s NodePort Service Created"},
}

CONFIG = """\
load_plugins: [k8saudit, json]
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    open_params: "file://{path}"
  - name: json
    library_path: libjson.so
json_output: true
stdout_output:
  enabled: true
rule_matching: all
"""


@pytest.fixture(scope="module")
def events(saker_bin, fixtures):
    d = fixtures / "k8s_audit"
    files = sorted(d.glob("*.json")) if d.is_dir() else []
    if not files:
        pytest.skip(f"no k8s audit event files in {d}")
    r = run([saker_bin, "-V", str(RULES)])
    if r.returncode != 0 or "LOAD_UNKNOWN_SOURCE" in r.stdout + r.stderr:
        pytest.skip("this saker has no k8s_audit source yet")
    return files


def raised(saker_bin, tmp_path, path):
    conf = tmp_path / "saker.yaml"
    conf.write_text(CONFIG.format(path=path))
    r = run([saker_bin, "-c", str(conf), "-r", str(RULES), "--disable-source=syscall"],
            timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return {json.loads(l)["rule"] for l in r.stdout.splitlines() if l.startswith("{")}


def test_every_rule_has_an_event():
    import yaml
    names = {i["rule"] for i in yaml.safe_load(RULES.read_text()) if "rule" in i}
    covered = set().union(*EXPECTED.values()) | {"K8s Secret Read By Unexpected User"}
    assert names == covered


def test_secret_reads(saker_bin, events, tmp_path):
    """Our own events (tests/e2e/data): a person reads a secret (reported),
    the workload's service account reads it, a denied read (neither)."""
    conf = tmp_path / "saker.yaml"
    conf.write_text(CONFIG.format(path=DATA / "k8s_audit_secret_reads.json"))
    r = run([saker_bin, "-c", str(conf), "-r", str(RULES), "--disable-source=syscall"],
            timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    alerts = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    assert [(a["rule"], a["output_fields"]["ka.user.name"]) for a in alerts] == \
        [("K8s Secret Read By Unexpected User", "alice@example.com")]


def test_audit_events(saker_bin, events, tmp_path):
    wrong = []
    for f in events:
        got = raised(saker_bin, tmp_path, f)
        want = EXPECTED.get(f.name, set())
        if got != want:
            wrong.append(f"{f.name}: got {sorted(got)}, want {sorted(want)}")
    assert not wrong, "\n".join(wrong)

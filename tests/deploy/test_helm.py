"""The Helm chart: `helm lint`, `helm template` with the default values and
with non-default ones, every rendered manifest checked against the
Kubernetes fields it uses (k8s_schema.py), the rendered saker.yaml loaded by
saker, and the rendered DaemonSet and ConfigMap run under podman kube play."""
import os
import pathlib
import re
import time

import pytest
import yaml

import deployenv
import k8s_schema
from deployenv import sh

CHART = deployenv.ROOT / "deploy" / "helm" / "saker"
CUSTOM = """\
- rule: Helm custom rule
  desc: a rule from the chart's rules.custom value
  condition: evt.type in (execve, execveat) and proc.args contains helm-custom-marker
  output: helm custom rule (cmdline=%proc.cmdline)
  priority: WARNING
"""
NONDEFAULT = {
    "image": {"repository": "registry.example.org/security/saker", "tag": "1.2.3",
              "pullPolicy": "Always"},
    "driver": {"bufSizePreset": 6},
    "rules": {"default": True, "custom": {"my_rules.yaml": CUSTOM}},
    "outputs": {"json": True, "priority": "warning",
                "http": {"enabled": True, "url": "http://sidekick.saker:2801/"}},
    "auditWebhook": {"enabled": True, "port": 9443, "path": "/audit"},
    "webserver": {"port": 8800},
    "metrics": {"enabled": True, "serviceMonitor": {"enabled": True, "labels": {"release": "prom"}}},
    "resources": {"requests": {"cpu": "200m", "memory": "256Mi"},
                  "limits": {"cpu": "2", "memory": "1Gi"}},
    "tolerations": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
                     "effect": "NoSchedule"}],
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "config": {"rules_rate_limit": {"rate": 10}},
}


def helm_run(helm, args, tmp_path):
    env = dict(os.environ, HOME=str(tmp_path / "home"), KUBECONFIG="/nonexistent")
    (tmp_path / "home").mkdir(exist_ok=True)
    return sh(f"{helm[0]} {args}", env=env)


def render(helm, tmp_path, values=None, name="rel"):
    extra = ""
    if values is not None:
        vf = tmp_path / f"values-{name}.yaml"
        vf.write_text(yaml.safe_dump(values))
        extra = f"-f {vf}"
    out = helm_run(helm, f"template {name} {CHART} --namespace saker --kube-version 1.29.0 {extra}",
                   tmp_path).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def test_helm_lint(helm, tmp_path):
    r = helm_run(helm, f"lint {CHART}", tmp_path)
    assert "0 chart(s) failed" in r.stdout, r.stdout
    vf = tmp_path / "nd.yaml"
    vf.write_text(yaml.safe_dump(NONDEFAULT))
    r = helm_run(helm, f"lint {CHART} -f {vf}", tmp_path)
    assert "0 chart(s) failed" in r.stdout, r.stdout


def saker_yaml(docs):
    cm = next(d for d in docs if d["kind"] == "ConfigMap")
    return cm, yaml.safe_load(cm["data"]["saker.yaml"])


def test_template_default_values(helm, tmp_path):
    docs = render(helm, tmp_path)
    assert sorted(d["kind"] for d in docs) == ["ConfigMap", "DaemonSet", "Service", "ServiceAccount"]
    for d in docs:
        assert k8s_schema.validate(d) == [], (d["kind"], k8s_schema.validate(d))
    ds = next(d for d in docs if d["kind"] == "DaemonSet")
    c = ds["spec"]["template"]["spec"]["containers"][0]
    assert c["image"] == "saker:0.1.0"
    assert c["securityContext"]["capabilities"]["add"] == ["BPF", "PERFMON", "SYS_PTRACE",
                                                           "DAC_READ_SEARCH"]
    assert c["securityContext"]["privileged"] is False
    _, cfg = saker_yaml(docs)
    assert cfg["rules_files"] == ["/etc/saker/saker_rules.yaml"]
    assert cfg["load_plugins"] == ["container"] and "plugins" not in cfg
    svc = next(d for d in docs if d["kind"] == "Service")
    assert [p["name"] for p in svc["spec"]["ports"]] == ["web"]


def test_template_nondefault_values(helm, tmp_path, saker_bin=None):
    docs = render(helm, tmp_path, NONDEFAULT)
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == ["ConfigMap", "DaemonSet", "Service", "ServiceAccount", "ServiceMonitor"]
    for d in docs:
        assert k8s_schema.validate(d) == [], (d["kind"], k8s_schema.validate(d))
    ds = next(d for d in docs if d["kind"] == "DaemonSet")
    pod = ds["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert c["image"] == "registry.example.org/security/saker:1.2.3"
    assert c["imagePullPolicy"] == "Always"
    assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"web": 8800, "audit": 9443}
    assert c["resources"]["limits"] == {"cpu": "2", "memory": "1Gi"}
    assert pod["tolerations"] == NONDEFAULT["tolerations"]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    cm, cfg = saker_yaml(docs)
    assert cm["data"]["my_rules.yaml"].strip() == CUSTOM.strip()
    assert cfg["rules_files"] == ["/etc/saker/saker_rules.yaml", "/etc/saker/config/my_rules.yaml"]
    assert cfg["plugins"] == [{"name": "container"},
                              {"name": "k8saudit", "open_params": "http://:9443/audit"},
                              {"name": "json"}]
    assert cfg["load_plugins"] == ["container", "k8saudit", "json"]
    assert cfg["http_output"] == {"enabled": True, "url": "http://sidekick.saker:2801/"}
    assert cfg["engine"]["modern_ebpf"]["buf_size_preset"] == 6
    assert cfg["priority"] == "warning" and cfg["rules_rate_limit"] == {"rate": 10}
    assert cfg["webserver"]["listen_port"] == 8800
    svc = next(d for d in docs if d["kind"] == "Service")
    assert {p["name"]: p["port"] for p in svc["spec"]["ports"]} == {"web": 8800, "audit": 9443}
    sm = next(d for d in docs if d["kind"] == "ServiceMonitor")
    assert sm["metadata"]["labels"]["release"] == "prom"
    assert sm["spec"]["endpoints"][0] == {"port": "web", "path": "/metrics", "interval": "30s"}


def test_rendered_config_loads(helm, tmp_path):
    """Each rendered saker.yaml loads with saker (paths moved to this tree)."""
    binary = os.environ.get("SAKER_BIN", str(deployenv.ROOT / "build" / "saker"))
    if not os.access(binary, os.X_OK):
        pytest.skip(f"no saker binary at {binary}")
    for i, values in enumerate((None, NONDEFAULT)):
        docs = render(helm, tmp_path, values, name=f"r{i}")
        cm, _ = saker_yaml(docs)
        d = tmp_path / f"cfg{i}"
        d.mkdir()
        for k, v in cm["data"].items():
            (d / k).write_text(v)
        # the default rules as installed: joined from rules/ in the build tree
        rules = pathlib.Path(binary).parent / "install" / "saker_rules.yaml"
        text = (d / "saker.yaml").read_text().replace("/etc/saker/saker_rules.yaml", str(rules))
        (d / "saker.yaml").write_text(text.replace("/etc/saker/config/", f"{d}/"))
        r = sh(f"{binary} -c {d}/saker.yaml --dry-run")
        assert not re.search(r"Warning|Error", r.stderr), r.stderr


AUDIT_RULE = """\
- rule: Helm audit marker
  desc: a ConfigMap created, seen through the audit webhook
  condition: ka.verb = create and ka.target.resource = configmaps
  output: audit configmap created (name=%ka.target.name user=%ka.user.name)
  priority: WARNING
  source: k8s_audit
"""


def audit_event(name):
    """A Kubernetes audit Event (audit.k8s.io/v1) creating ConfigMap `name`."""
    ts = "2026-12-03T10:00:00.000000Z"
    return {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
            "auditID": "0b6a7c5e-1111-4222-8333-944455556666", "stage": "ResponseComplete",
            "requestURI": f"/api/v1/namespaces/default/configmaps/{name}", "verb": "create",
            "user": {"username": "deploy-test", "groups": ["system:authenticated"]},
            "sourceIPs": ["127.0.0.1"],
            "objectRef": {"resource": "configmaps", "namespace": "default", "name": name,
                          "apiVersion": "v1"},
            "responseStatus": {"metadata": {}, "code": 201},
            "requestReceivedTimestamp": ts, "stageTimestamp": ts}


def test_chart_runs_under_kube_play(helm, saker_image, kube_play, tmp_path):
    if sh("podman image exists localhost/saker-test:1", check=False).returncode:
        pytest.skip("localhost/saker-test:1 is missing (scripts/containers/setup-podman.sh)")
    port, audit_port = deployenv.free_port(), deployenv.free_port()
    values = {"image": {"repository": "localhost/saker", "tag": "test"},
              "webserver": {"port": port},
              "auditWebhook": {"enabled": True, "port": audit_port},
              "rules": {"custom": {"my_rules.yaml": CUSTOM, "audit_rules.yaml": AUDIT_RULE}}}
    docs = render(helm, tmp_path, values, name="kp")
    cm = next(d for d in docs if d["kind"] == "ConfigMap")
    cm_file = tmp_path / "cm.yaml"
    cm_file.write_text(yaml.safe_dump(cm))
    ds = next(d for d in docs if d["kind"] == "DaemonSet")
    pod = deployenv.pod_from_daemonset(ds, "localhost/saker:test", "saker-kp-helm", port)
    log = deployenv.kube_scenario(kube_play, pod, cm_file, tmp_path, port)
    assert "/etc/saker/config/my_rules.yaml" in log
    # the custom rule from the values alerts
    for _ in range(20):
        sh("/usr/bin/env true helm-custom-marker")
        log = sh("podman logs saker-kp-helm-saker 2>&1").stdout
        if '"rule":"Helm custom rule"' in log:
            break
        time.sleep(0.5)
    assert '"rule":"Helm custom rule"' in log
    # the audit webhook on the Service's audit port (auditWebhook.port): an
    # audit event POSTed there alerts through the custom k8s_audit rule
    import json
    import urllib.request
    name = f"cm-{audit_port}"
    req = urllib.request.Request(f"http://127.0.0.1:{audit_port}/k8s-audit",
                                 data=json.dumps(audit_event(name)).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200
    for _ in range(20):
        log = sh("podman logs saker-kp-helm-saker 2>&1").stdout
        if f"audit configmap created (name={name}" in log:
            break
        time.sleep(0.5)
    assert f"audit configmap created (name={name} user=deploy-test)" in log, log[-2000:]


def test_values_schema_rejects_bad_values(helm, tmp_path):
    """values.schema.json: helm refuses values of the wrong type."""
    for bad in ({"webserver": {"port": "web"}}, {"metrics": {"interval": "5000"}},
                {"rules": {"custom": {"no-extension": "x"}}}, {"driver": {"bufSizePreset": 11}}):
        vf = tmp_path / "bad.yaml"
        vf.write_text(yaml.safe_dump(bad))
        env = dict(os.environ, HOME=str(tmp_path), KUBECONFIG="/nonexistent")
        r = sh(f"{helm[0]} template x {CHART} -f {vf}", env=env, check=False)
        assert r.returncode != 0 and "schema" in r.stderr.lower(), (bad, r.stderr)

"""Checks of the deployment files: manifests parse, the DaemonSet mounts
what the probe needs, and the systemd unit is valid (when systemd-analyze
exists)."""
import pathlib
import shutil

import pytest
import yaml

from conftest import ROOT, run

DEPLOY = ROOT / "deploy"


def test_kubernetes_manifests_parse_and_mount_btf():
    docs = list(yaml.safe_load_all((DEPLOY / "kubernetes" / "saker.yaml").read_text()))
    kinds = [d["kind"] for d in docs if d]
    assert kinds == ["Namespace", "ServiceAccount", "ConfigMap", "DaemonSet", "Service"]
    ds = next(d for d in docs if d and d["kind"] == "DaemonSet")
    spec = ds["spec"]["template"]["spec"]
    assert spec["hostPID"] is True
    mounts = {m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
    assert {"/sys/kernel/btf", "/host/proc", "/etc/saker/saker.yaml"} <= mounts
    cm = next(d for d in docs if d and d["kind"] == "ConfigMap")
    cfg = yaml.safe_load(cm["data"]["saker.yaml"])
    assert cfg["engine"]["kind"] == "modern_ebpf"


def test_helm_chart_files():
    chart = yaml.safe_load((DEPLOY / "helm" / "saker" / "Chart.yaml").read_text())
    assert chart["name"] == "saker" and chart["apiVersion"] == "v2"
    values = yaml.safe_load((DEPLOY / "helm" / "saker" / "values.yaml").read_text())
    assert values["config"]["engine"]["kind"] == "modern_ebpf"
    for t in ("configmap.yaml", "daemonset.yaml"):
        assert (DEPLOY / "helm" / "saker" / "templates" / t).is_file()


def test_systemd_unit_verifies(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not installed")
    unit = DEPLOY / "systemd" / "saker.service"
    r = run(["systemd-analyze", "verify", "--man=no", str(unit)])
    # verify complains about the missing binary path on machines without an
    # install; anything else is a real unit error.
    bad = [l for l in r.stderr.splitlines()
           if l.strip() and "/usr/local/bin/saker" not in l and "saker.service" in l
           and "Command" not in l]
    assert not bad, r.stderr

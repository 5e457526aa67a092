"""The container image and the plain Kubernetes manifests: the image builds
from a debootstrap base (BASE build argument), is small, and runs as the
DaemonSet's pod (its securityContext, capabilities, mounts and probes)
under `podman kube play` with the ConfigMap that
`kubectl create configmap saker-config --from-file=deploy/kubernetes/config/`
makes: it starts without privileged, /healthz answers, and a host action and
an action in another container alert with container metadata."""
import shutil
import time

import pytest
import yaml

import deployenv
import k8s_schema
from deployenv import sh

KDIR = deployenv.ROOT / "deploy" / "kubernetes"


def manifests():
    return [d for d in yaml.safe_load_all((KDIR / "saker.yaml").read_text()) if d]


def test_manifests_match_the_schema():
    docs = manifests()
    assert [d["kind"] for d in docs] == ["ServiceAccount", "DaemonSet", "Service"]
    for d in docs:
        assert k8s_schema.validate(d) == [], d["kind"]


def test_image_size_healthcheck(saker_image):
    size = int(sh(f"podman image inspect {saker_image} --format '{{{{.Size}}}}'").stdout)
    base = int(sh(f"podman image inspect {deployenv.BASE_IMAGE} --format '{{{{.Size}}}}'").stdout)
    print(f"\nimage size: {size / 1e6:.1f} MB (base {base / 1e6:.1f} MB)")
    assert size - base < 40e6, "saker and its libraries should add < 40 MB to the base"
    hc = sh(f"podman image inspect {saker_image} --format '{{{{json .Config.Healthcheck}}}}'").stdout
    assert "/healthz" in hc
    # the HEALTHCHECK runs: healthy with the image's web server, not without it
    # (engine nodriver: the probe is not needed for this)
    for opt, want in (("", 0), ("-o webserver.enabled=false", 1)):
        name = f"saker-hc-{want}"
        sh(f"podman rm -f -t 0 {name}", check=False)
        sh(f"podman run -d --name {name} --network none {saker_image} -c /etc/saker/saker.yaml "
           f"-o engine.kind=nodriver {opt}")
        try:
            rc = 1
            for _ in range(20):
                rc = sh(f"podman healthcheck run {name}", check=False).returncode
                if rc == want:
                    break
                time.sleep(0.5)
            assert rc == want, f"healthcheck of {name}: {rc}"
        finally:
            sh(f"podman rm -f -t 0 {name}", check=False)
    # the image's own configuration loads (no probe: --dry-run)
    r = sh(f"podman run --rm --network none {saker_image} -c /etc/saker/saker.yaml --dry-run")
    assert "saker_rules.yaml" in r.stdout + r.stderr


def configmap_yaml(tmp_path, port):
    """The ConfigMap as kubectl makes it from the config/ directory (with the
    web port moved to a free one: the pod shares the host's network)."""
    cfg = tmp_path / "config"
    shutil.copytree(KDIR / "config", cfg)
    y = cfg / "saker.yaml"
    y.write_text(y.read_text().replace("listen_port: 8765", f"listen_port: {port}"))
    kubectl = shutil.which("kubectl") or str(deployenv.helm()[1])
    out = sh(f"KUBECONFIG=/nonexistent {kubectl} create configmap saker-config -n saker "
             f"--from-file={cfg}/ --dry-run=client -o yaml").stdout
    cm = yaml.safe_load(out)
    assert set(cm["data"]) == {"saker.yaml", "saker_rules.local.yaml"}
    assert k8s_schema.validate(cm) == []
    path = tmp_path / "configmap.yaml"
    path.write_text(out)
    return path


def test_daemonset_runs_under_kube_play(saker_image, kube_play, tmp_path):
    if not sh("podman image exists localhost/saker-test:1", check=False).returncode == 0:
        pytest.skip("localhost/saker-test:1 is missing (scripts/containers/setup-podman.sh)")
    port = deployenv.free_port()
    cm = configmap_yaml(tmp_path, port)
    ds = next(d for d in manifests() if d["kind"] == "DaemonSet")
    pod = deployenv.pod_from_daemonset(ds, saker_image, "saker-kp-plain", port)
    assert k8s_schema.validate(pod) == []
    deployenv.kube_scenario(kube_play, pod, cm, tmp_path, port)


def test_schema_check_rejects_bad_manifests():
    """The checker can fail: mutations of the real DaemonSet are caught."""
    import copy
    ds = next(d for d in manifests() if d["kind"] == "DaemonSet")
    c = lambda d: d["spec"]["template"]["spec"]["containers"][0]  # noqa: E731
    bad = []
    for mutate in (lambda d: c(d).update(imagePullPolicy="Sometimes"),
                   lambda d: c(d)["securityContext"].update(privilegd=False),
                   lambda d: c(d)["ports"][0].update(containerPort="8765"),
                   lambda d: c(d)["resources"]["limits"].update(memory="lots"),
                   lambda d: c(d).pop("image"),
                   lambda d: c(d)["volumeMounts"].append({"name": "nope", "mountPath": "/x"}),
                   lambda d: c(d)["livenessProbe"]["httpGet"].update(port="webb"),
                   lambda d: d["spec"]["selector"]["matchLabels"].update(x="y")):
        d = copy.deepcopy(ds)
        mutate(d)
        bad.append(k8s_schema.validate(d))
    assert all(bad), bad

"""test_k8s_scenario.py — the Kubernetes scenario of issue 9, end to end
through the CRI (containerd's CRI plugin, pods made the way kubelet makes
them): a pod `ping-74dbb488b6-6hwp6` of Deployment `ping` in namespace
`falcotest` (labels app=ping, pod-template-hash=74dbb488b6) runs a web page
with a command injection (busybox httpd + CGI running `ping -c 3 $ipaddr`).
A request with `ipaddr=localhost; cat /var/www/html/ping.php` must make the
user's rule (k8s.ns.name=falcotest and k8s.deployment.name=ping and not
proc.name in (apache2, sh, ping)) fire for `cat`, with Falco 0.22's -pk
suffix; the same request against a pod of another namespace or another
Deployment must not. A second replica started while saker runs must alert
on its entrypoint's first execve (metadata there in time).
Needs root, kernel BTF and containerd (scripts/containers/setup-containerd.sh)."""
import os
import pathlib
import re
import socket
import subprocess
import time
import urllib.request

import pytest

import containers_rt as rt
from test_live import Saker, live_unavailable

DATA = pathlib.Path(__file__).resolve().parent / "data"
UID = "0b6a5f1c-7c39-4c7e-9d8e-3f2a1b4c5d6e"
INJECT = "ipaddr=localhost%3B%20cat%20%2Fvar%2Fwww%2Fhtml%2Fping.php"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def crictl_path(saker_bin):
    p = os.environ.get("SK_CRICTL") or str(pathlib.Path(saker_bin).parent / "tests/unit/sk_crictl")
    return p if os.access(p, os.X_OK) else None


class Pods:
    def __init__(self, crictl, www):
        self.crictl, self.www, self.namespaces = crictl, www, set()

    def run(self, name, ns, uid, labels, port):
        self.namespaces.add(ns)
        args = [self.crictl, "run", name, ns, uid, "ping", rt.IMAGE]
        for k, v in labels.items():
            args += ["-l", f"{k}={v}"]
        args += ["-m", f"{self.www}:/www:ro", "-m", f"{self.www}:/var/www/html:ro",
                 "-m", "/bin/dash:/opt/host/sh:ro",
                 "-m", "/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:ro", "-m", "/lib64:/lib64:ro",
                 "--", "httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", "/www"]
        r = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        pod, ctr = r.stdout.split()
        end = time.monotonic() + 20
        while time.monotonic() < end:  # httpd up
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return pod, ctr
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"httpd of {name} did not start")

    def cleanup(self):
        for ns in self.namespaces:
            subprocess.run([self.crictl, "cleanup", ns], capture_output=True, timeout=120)


def request(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/cgi-bin/ping?{INJECT}", timeout=20) as r:
        body = r.read().decode()
    assert "ping.php" in body or "<?php" in body, body  # the injected cat ran


@pytest.fixture(scope="module")
def scenario(saker_bin, tmp_path_factory):
    why = live_unavailable() or rt.setup("containerd")
    if why:
        pytest.skip(f"containerd: {why}")
    crictl = crictl_path(saker_bin)
    if not crictl:
        pytest.skip("sk_crictl not built (tests/tools/sk_crictl.c)")
    if not os.path.exists("/bin/dash"):
        pytest.skip("/bin/dash missing")
    tmp = tmp_path_factory.mktemp("k8s")
    www = tmp / "www"
    (www / "cgi-bin").mkdir(parents=True)
    src = DATA / "k8s_ping" / "cgi-bin" / "ping"
    (www / "cgi-bin" / "ping").write_text(src.read_text())
    (www / "cgi-bin" / "ping").chmod(0o755)
    (www / "ping.php").write_text('<?php system("ping -c 3 ".$_GET["ipaddr"]); ?>\n')
    pods = Pods(crictl, www)
    for ns in ("falcotest", "othertest"):
        subprocess.run([crictl, "cleanup", ns], capture_output=True, timeout=120)
    ping = {"app": "ping", "pod-template-hash": "74dbb488b6"}
    port = free_port()
    try:
        # started before saker: known from the runtime's listing at start-up
        _, ctr = pods.run("ping-74dbb488b6-6hwp6", "falcotest", UID, ping, port)
        conf = tmp / "falco.yaml"
        conf.write_text("load_plugins: [container]\nstdout_output:\n  enabled: true\n"
                        "json_output: true\nrule_matching: all\n")
        sk = Saker(saker_bin, ["-c", str(conf), "-r", str(DATA / "k8s_rules.yaml"), "-pk",
                               "-o", "json_output=true"], tmp)
        try:
            assert sk.ready(), sk.stderr()
            yield sk, pods, port, ctr
        finally:
            sk.stop()
    finally:
        pods.cleanup()


def alerts_of(sk, container_id):
    return [a for _, a in sk.alerts if a["rule"] == "Unauthorized process"
            and a["output_fields"].get("container.id") == container_id[:12]]


def test_injection_fires_with_pk_suffix(scenario):
    sk, _, port, ctr = scenario
    request(port)
    pred = lambda a: a["rule"] == "Unauthorized process" and "cat /var/www/html/ping.php" in a["output"]
    a, _ = sk.wait(pred, time.monotonic(), 10)
    assert a, f"the rule did not fire\n{sk.stderr()[-2000:]}"
    out = a["output"]
    want = (f"Unauthorized process (cat /var/www/html/ping.php) running in ({ctr[:12]}) "
            f"k8s.ns=falcotest k8s.pod=ping-74dbb488b6-6hwp6 container={ctr[:12]}")
    assert want in out, out
    assert a["priority"] == "Error"
    # only cat: sh and ping are allowed, the CGI runs as "ping"
    time.sleep(1)
    names = sorted({x["output_fields"]["proc.cmdline"].split()[0] for x in alerts_of(sk, ctr)})
    assert names == ["cat"], names


def test_other_namespace_and_deployment_do_not_fire(scenario):
    sk, pods, _, _ = scenario
    other_ns = free_port()
    pods.run("ping-74dbb488b6-q8z2m", "othertest", "1b6a5f1c-7c39-4c7e-9d8e-3f2a1b4c5d6e",
             {"app": "ping", "pod-template-hash": "74dbb488b6"}, other_ns)
    other_dep = free_port()
    _, pong = pods.run("pong-6d9f8b7c5d-x2k4p", "falcotest", "2b6a5f1c-7c39-4c7e-9d8e-3f2a1b4c5d6e",
                       {"app": "pong", "pod-template-hash": "6d9f8b7c5d"}, other_dep)
    t0 = time.monotonic()
    request(other_ns)
    request(other_dep)
    time.sleep(3)
    fired = [a["output"] for t, a in sk.alerts if t >= t0 and a["rule"] == "Unauthorized process"]
    assert not fired, fired


def test_new_replica_alerts_on_first_exec(scenario):
    """A replica started while saker runs: its entrypoint (httpd, not in the
    allowed list) fires on its very first execve, so the pod metadata was
    there before the process ran."""
    sk, pods, _, _ = scenario
    port = free_port()
    _, ctr = pods.run("ping-74dbb488b6-w7x9k", "falcotest", "3b6a5f1c-7c39-4c7e-9d8e-3f2a1b4c5d6e",
                      {"app": "ping", "pod-template-hash": "74dbb488b6"}, port)
    pred = lambda a: (a["rule"] == "Unauthorized process"
                      and a["output_fields"].get("container.id") == ctr[:12]
                      and a["output_fields"].get("proc.cmdline", "").startswith("httpd "))
    a, _ = sk.wait(pred, time.monotonic(), 10)
    assert a, f"no alert on the new replica's entrypoint\n{sk.stderr()[-2000:]}"
    assert "k8s.pod=ping-74dbb488b6-w7x9k" in a["output"]

"""Checks of the deployment files that need no root: the installed
saker.yaml (generated from src/config/keys.c at build time) loads with saker
without a warning and states every key's built-in default (apart from the
package's documented choices); cmake --install's layout; the Kubernetes
config loads; the systemd unit verifies. What really installs and runs them
is tests/deploy/."""
import importlib.util
import pathlib
import shutil

import pytest
import yaml

from conftest import ROOT, run

DEPLOY = ROOT / "deploy"
spec = importlib.util.spec_from_file_location("gen_saker_yaml", DEPLOY / "gen_saker_yaml.py")
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)


def lookup(doc, dotted):
    for part in dotted.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return KeyError
        doc = doc[part]
    return doc


def test_installed_config_states_every_builtin_default():
    doc = yaml.safe_load(gen.render())
    checked = 0
    for name, typ, dflt, _ in gen.keys():
        if "[]" in name or typ in ("MAP", "LIST", "ANY") or name.split(".")[0] in gen.SKIP:
            continue
        if name in gen.read_when_set():
            # acted on when present: only a comment shows its value
            assert lookup(doc, name) is KeyError, name
            continue
        v = lookup(doc, name)
        assert v is not KeyError, f"{name} is missing from the generated saker.yaml"
        want = gen.PACKAGE[name][0] if name in gen.PACKAGE else gen.builtin_value(typ, dflt)
        assert v == want, f"{name}: {v!r} != {want!r}"
        checked += 1
    assert checked > 90
    assert "webserver.k8s_audit_endpoint" in gen.read_when_set() or \
        not any(k[0] == "webserver.k8s_audit_endpoint" for k in gen.keys())
    for name, (value, _) in gen.PACKAGE.items():
        want = yaml.safe_load(f"k:\n{value}")["k"] if isinstance(value, gen.Raw) else value
        assert lookup(doc, name) == want, name
    # the package's choices are the only differences, each explained in the file
    assert gen.render().count("# package: ") == len(gen.PACKAGE)


def test_installed_config_loads_without_warnings(saker_bin, tmp_path):
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "saker.yaml").write_text(gen.render(str(etc)))
    local = DEPLOY / "etc" / "saker_rules.local.yaml"
    (etc / local.name).write_text(local.read_text())
    for f in (ROOT / "rules").glob("*.yaml"):
        shutil.copy(f, etc / f.name)
    (etc / "rules.d").mkdir()
    r = run([saker_bin, "-c", str(etc / "saker.yaml"), "--dry-run", "-o", "log_stderr=true"])
    assert r.returncode == 0, r.stderr
    assert "Warning" not in r.stderr and "Error" not in r.stderr, r.stderr
    assert "saker_rules.local.yaml" in r.stderr + r.stdout


def test_kubernetes_config_loads(saker_bin, tmp_path):
    cfg = (DEPLOY / "kubernetes" / "config" / "saker.yaml").read_text()
    local = DEPLOY / "kubernetes" / "config" / "saker_rules.local.yaml"
    cfg = cfg.replace("/etc/saker/saker_rules.yaml",
                      str(pathlib.Path(saker_bin).parent / "install" / "saker_rules.yaml"))
    cfg = cfg.replace("/etc/saker/config/saker_rules.local.yaml", str(local))
    (tmp_path / "saker.yaml").write_text(cfg)
    r = run([saker_bin, "-c", str(tmp_path / "saker.yaml"), "--dry-run"])
    assert r.returncode == 0 and "Warning" not in r.stderr, r.stderr


def test_kubernetes_manifests_least_privilege():
    docs = [d for d in yaml.safe_load_all((DEPLOY / "kubernetes" / "saker.yaml").read_text()) if d]
    assert [d["kind"] for d in docs] == ["ServiceAccount", "DaemonSet", "Service"]
    pod = docs[1]["spec"]["template"]["spec"]
    assert pod["hostPID"] is True and pod["automountServiceAccountToken"] is False
    sc = pod["containers"][0]["securityContext"]
    assert sc["privileged"] is False and sc["capabilities"]["drop"] == ["ALL"]
    assert "SYS_ADMIN" not in sc["capabilities"]["add"]
    mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert {"/sys/kernel/btf", "/host/proc", "/etc/saker/config"} <= mounts


def test_systemd_unit_verifies(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not installed")
    unit = tmp_path / "saker.service"
    # verify checks that ExecStart's binary exists: point it at this build
    saker = pathlib.Path(ROOT / "build" / "saker")
    if not saker.exists():
        pytest.skip("build/saker missing")
    unit.write_text((DEPLOY / "systemd" / "saker.service").read_text()
                    .replace("/usr/bin/saker", str(saker)))
    r = run(["systemd-analyze", "verify", "--man=no", str(unit)])
    bad = [l for l in r.stderr.splitlines() if "saker.service" in l]
    assert not bad, r.stderr


def test_cmake_install_layout(tmp_path):
    """`cmake --install` of the configured build tree puts every file in its
    FHS place, with the paths inside the unit and saker.yaml made for the
    prefix (here the default /usr/local)."""
    build = ROOT / "build"
    cache = build / "CMakeCache.txt"
    if not cache.exists() or "CMAKE_INSTALL_PREFIX:PATH=/usr/local" not in cache.read_text():
        pytest.skip("build/ is not configured with the default prefix /usr/local")
    dest = tmp_path / "dest"
    r = run(["cmake", "--install", str(build)], env={**__import__("os").environ, "DESTDIR": str(dest)})
    assert r.returncode == 0, r.stderr
    p = dest / "usr" / "local"
    for f in ("bin/saker", "etc/saker/saker.yaml", "etc/saker/saker_rules.yaml",
              "etc/saker/saker_rules.local.yaml", "lib/systemd/system/saker.service",
              "share/man/man8/saker.8", "share/doc/saker/deploy.md", "share/doc/saker/README.md"):
        assert (p / f).exists(), f
    assert (p / "etc/saker/rules.d").is_dir()
    unit = (p / "lib/systemd/system/saker.service").read_text()
    assert "ExecStart=/usr/local/bin/saker -c /usr/local/etc/saker/saker.yaml" in unit
    conf = yaml.safe_load((p / "etc/saker/saker.yaml").read_text())
    assert conf["rules_files"][0] == "/usr/local/etc/saker/saker_rules.yaml"

"""containers_rt.py — helpers for tests that use real container runtimes:
set-up through scripts/containers/, the runtime CLIs, and the inspect
answers tests compare saker's fields with. Runtimes need root; a runtime
that cannot be set up makes its tests skip with the reason."""
import json
import os
import pathlib
import subprocess
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts" / "containers"
IMAGE = "localhost/saker-test:1"
FIXTURES_RULES = ROOT.parent / "shared" / "fixtures" / "upstream-rules" / "falco-incubating_rules.yaml"

_setup_cache = {}


def setup(runtime):
    """Runs setup-<runtime>.sh once per session. Returns None when the
    runtime is usable, else the reason it is not."""
    if runtime in _setup_cache:
        return _setup_cache[runtime]
    why = None
    if os.geteuid() != 0:
        why = "not root"
    else:
        script = SCRIPTS / f"setup-{runtime}.sh"
        if not script.exists():
            why = f"{script} missing"
        else:
            try:
                r = subprocess.run(["bash", str(script)], capture_output=True, text=True,
                                   timeout=900)
                if r.returncode != 0:
                    why = f"{script.name} failed: {r.stderr.strip()[-600:]}"
            except subprocess.TimeoutExpired:
                why = f"{script.name} did not finish in 900 s"
    _setup_cache[runtime] = why
    return why


def cli(runtime):
    return ["podman"] if runtime == "podman" else ["docker", "-H", "unix:///var/run/docker.sock"]


def sh(argv, check=True, timeout=120, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{argv}: {r.returncode} {r.stderr}")
    return r


def run_container(runtime, *args, cmd=("sleep", "1000")):
    """Starts a detached container (no network); returns its full id."""
    name = f"sk-{uuid.uuid4().hex[:10]}"
    r = sh(cli(runtime) + ["run", "-d", "--name", name, "--network", "none", *args, IMAGE, *cmd])
    return r.stdout.strip().splitlines()[-1]


def remove(runtime, *ids):
    if ids:
        sh(cli(runtime) + ["rm", "-f", *ids], check=False)


def inspect(runtime, cid):
    return json.loads(sh(cli(runtime) + ["inspect", cid]).stdout)[0]

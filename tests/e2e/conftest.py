"""Shared pytest fixtures for end-to-end tests of the saker binary."""
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def saker_bin():
    path = os.environ.get("SAKER_BIN", str(ROOT / "build" / "saker"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"saker binary not found at {path}; build first (scripts/build.sh)")
    return path


@pytest.fixture(scope="session")
def fixtures():
    if not FIXTURES.is_dir():
        pytest.skip(f"fixtures not found at {FIXTURES} (../shared/fixtures is needed)")
    return FIXTURES


@pytest.fixture(scope="session")
def sysdig():
    path = shutil.which("sysdig")
    if not path:
        pytest.skip("sysdig is not installed (apt-get install sysdig)")
    return path


def run(args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 600)
    return subprocess.run(args, **kw)


# Events of the 1M-event current/ capture the differential tests read.
CURRENT_LIMIT = 100000


@pytest.fixture(scope="session")
def current_copy(saker_bin, fixtures, tmp_path_factory):
    """The first CURRENT_LIMIT events of the current/ capture, with its
    metadata, written once per session by `saker inspect -w` (sysdig's -n
    counts the events it prints, not those it reads). None when absent."""
    src = sorted((fixtures / "traces" / "current").glob("*.scap.gz"))
    if not src:
        return None
    name = src[0].name[:-len(".scap.gz")] + "-100k.scap"
    dst = tmp_path_factory.mktemp("current") / name
    r = run([saker_bin, "inspect", "-q", "-n", str(CURRENT_LIMIT), "-w", str(dst), str(src[0])])
    assert r.returncode == 0, f"saker inspect -w: {r.stderr}"
    return dst

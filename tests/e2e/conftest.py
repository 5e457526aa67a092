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

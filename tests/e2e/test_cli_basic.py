"""Smoke test: the binary starts and answers --version."""
from conftest import run


def test_version(saker_bin):
    r = run([saker_bin, "--version"])
    assert r.returncode == 0, r.stderr
    assert "saker" in r.stdout.lower() or "falco" in r.stdout.lower()

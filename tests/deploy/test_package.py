"""The Debian package: it builds, lintian finds no error, and it installs,
upgrades (conffiles kept) and is removed and purged cleanly with dpkg in a
fresh Debian 12 root filesystem (debootstrap + chroot)."""
import pathlib
import re
import shutil

import pytest

import deployenv
from deployenv import chroot, sh

FIXTURES = deployenv.ROOT.parent / "shared" / "fixtures"


def test_deb_contents_and_metadata(deb):
    info = sh(f"dpkg-deb -f {deb} Package Version Depends").stdout
    # Depends computed by dpkg-shlibdeps from the binary's libraries
    for lib in ("libbpf1", "libyaml-0-2", "libpcre2-8-0", "libjansson4", "libmicrohttpd12",
                "libcurl4", "libsystemd0", "libc6"):
        assert lib in info, info
    files = sh(f"dpkg-deb -c {deb}").stdout
    for f in ("./usr/bin/saker", "./etc/saker/saker.yaml", "./etc/saker/saker_rules.yaml",
              "./etc/saker/saker_rules.local.yaml", "./etc/saker/rules.d/",
              "./lib/systemd/system/saker.service", "./usr/share/man/man8/saker.8.gz",
              "./usr/share/doc/saker/copyright", "./usr/share/doc/saker/README.md"):
        assert re.search(rf"\s{re.escape(f)}$", files, re.M), f"{f} missing from the .deb"
    # the default rules are installed joined into saker_rules.yaml (not the
    # split files of rules/), the k8s audit rules beside them
    assert "./etc/saker/saker_k8s_audit.yaml\n" in files
    for r in (deployenv.ROOT / "rules").glob("saker_*.yaml"):
        if r.name != "saker_k8s_audit.yaml":
            assert f"./etc/saker/{r.name}\n" not in files
    ctrl = pathlib.Path(sh("mktemp -d").stdout.strip())
    sh(f"dpkg-deb -e {deb} {ctrl}")
    conffiles = (ctrl / "conffiles").read_text().split()
    assert {"/etc/saker/saker.yaml", "/etc/saker/saker_rules.local.yaml",
            "/etc/saker/saker_rules.yaml"} <= set(conffiles)
    postinst = (ctrl / "postinst").read_text()
    assert "deb-systemd-helper enable 'saker.service'" in postinst
    assert "deb-systemd-invoke $_dh_action 'saker.service'" in postinst
    shutil.rmtree(ctrl)
    print(f"\n.deb size: {deb.stat().st_size} bytes")


def test_lintian_has_no_errors(deb):
    if not shutil.which("lintian"):
        pytest.skip("lintian is not installed")
    r = sh(f"lintian --tag-display-limit 0 {deb}", check=False)
    errors = [l for l in r.stdout.splitlines() if l.startswith("E:")]
    assert not errors, r.stdout


def _repack(deb, out, version, rules_note):
    """The same package as a new version whose default rules file changed."""
    tree = out.parent / f"tree-{version}"
    shutil.rmtree(tree, ignore_errors=True)
    sh(f"dpkg-deb -R {deb} {tree}")
    ctl = tree / "DEBIAN" / "control"
    ctl.write_text(re.sub(r"^Version: .*$", f"Version: {version}", ctl.read_text(), flags=re.M))
    rules = tree / "etc" / "saker" / "saker_rules.yaml"
    rules.write_text(rules.read_text() + f"\n# {rules_note}\n")
    sh(f"cd {tree} && find . -path ./DEBIAN -prune -o -type f -printf '%P\\0' | "
       f"xargs -0 md5sum > DEBIAN/md5sums")
    sh(f"dpkg-deb --root-owner-group -b {tree} {out}")
    shutil.rmtree(tree)
    return out


def test_install_upgrade_remove_purge_in_fresh_debian(deb, rootfs, tmp_path):
    root = deployenv.copy_rootfs(deployenv.DIR / "rootfs-dpkg")
    try:
        deps = " ".join(deployenv.deb_depends(deb))
        chroot(root, f"apt-get update -qq && apt-get install -y -qq --no-install-recommends {deps}")
        shutil.copy(deb, root / "tmp" / "saker.deb")
        r = chroot(root, "dpkg -i /tmp/saker.deb")
        assert "Setting up saker" in r.stdout
        # enabled as Debian packages do (no systemd running here: not started)
        assert (root / "etc/systemd/system/multi-user.target.wants/saker.service").is_symlink()
        assert chroot(root, "saker --version").stdout.strip()
        # the installed configuration and rules load; the local rules file is empty
        r = chroot(root, "saker -c /etc/saker/saker.yaml --dry-run -o log_stderr=true")
        assert "/etc/saker/saker_rules.local.yaml" in r.stdout + r.stderr
        assert "Warning" not in r.stderr and "Error" not in r.stderr, r.stderr
        assert (root / "etc/saker/rules.d").is_dir()
        # the man page renders (man-db is not in minbase: the host's man reads it)
        page = root / "usr/share/man/man8/saker.8.gz"
        if shutil.which("man"):
            assert "SYNOPSIS" in sh(f"MANWIDTH=80 man -l {page}").stdout
        else:
            assert page.stat().st_size > 1000
        # the user edits the configuration and adds a rule
        conf = root / "etc/saker/saker.yaml"
        conf.write_text(conf.read_text().replace("json_output: false", "json_output: true"))
        local = root / "etc/saker/saker_rules.local.yaml"
        local.write_text(local.read_text() + "\n- list: my_upgrade_marker\n  items: [x]\n")
        # upgrade: edited conffiles are kept, the unedited default rules file is replaced
        v2 = _repack(deb, tmp_path / "saker_v2.deb", "99.0.0-1", "changed by the upgrade")
        shutil.copy(v2, root / "tmp" / "saker_v2.deb")
        r = chroot(root, "dpkg --force-confold -i /tmp/saker_v2.deb")
        assert "99.0.0-1" in chroot(root, "dpkg-query -W saker").stdout
        assert "json_output: true" in conf.read_text()
        assert "my_upgrade_marker" in local.read_text()
        assert "changed by the upgrade" in (root / "etc/saker/saker_rules.yaml").read_text()
        # remove keeps the conffiles, purge removes them and the enablement
        chroot(root, "dpkg -r saker")
        assert not (root / "usr/bin/saker").exists()
        assert conf.exists()
        chroot(root, "dpkg -P saker")
        assert not (root / "etc/saker").exists()
        assert not (root / "etc/systemd/system/multi-user.target.wants/saker.service").exists()
        assert "saker" not in chroot(root, "dpkg -l | awk '{print $2}'").stdout.split()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_falco_users_files(deb, rootfs):
    """A Falco user keeps /etc/falco/falco.yaml and falco_rules.local.yaml:
    saker reads them as they are (docs/deploy.md)."""
    falco_yaml = FIXTURES / "regression" / "final" / "falco.yaml"
    falco_rules = FIXTURES / "upstream-rules" / "falco_rules.yaml"
    if not falco_yaml.is_file() or not falco_rules.is_file():
        pytest.skip(f"Falco's falco.yaml/falco_rules.yaml not found under {FIXTURES}")
    root = deployenv.copy_rootfs(deployenv.DIR / "rootfs-falco")
    try:
        deps = " ".join(deployenv.deb_depends(deb))
        chroot(root, f"apt-get update -qq && apt-get install -y -qq --no-install-recommends {deps}")
        shutil.copy(deb, root / "tmp" / "saker.deb")
        chroot(root, "dpkg -i /tmp/saker.deb")
        etc = root / "etc" / "falco"
        etc.mkdir()
        shutil.copy(falco_yaml, etc / "falco.yaml")
        shutil.copy(falco_rules, etc / "falco_rules.yaml")
        (etc / "falco_rules.local.yaml").write_text(
            "- rule: My Falco local rule\n  desc: kept from a Falco install\n"
            "  condition: evt.type = openat and fd.name = /etc/my-falco-marker\n"
            "  output: marker opened (proc=%proc.name)\n  priority: WARNING\n")
        r = chroot(root, "saker -c /etc/falco/falco.yaml -L")
        assert "My Falco local rule" in r.stdout
        assert "Terminal shell in container" in r.stdout  # from Falco's falco_rules.yaml
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_build_depends_cover_the_cmake_dependencies():
    """Every pkg-config module the CMake files look for is provided by a
    package of debian/control's Build-Depends (another branch adding a
    library must add its -dev package there too, or the package and the
    image's from-source build lose the feature or fail)."""
    if not shutil.which("pkg-config") or not shutil.which("dpkg"):
        pytest.skip("pkg-config/dpkg missing")
    control = (deployenv.ROOT / "debian" / "control").read_text()
    bdeps = re.search(r"^Build-Depends:(.*?)^\S", control, re.M | re.S).group(1)
    bdeps = {d.split("(")[0].strip() for d in bdeps.replace("\n", " ").split(",") if d.strip()}
    cmake = [deployenv.ROOT / "CMakeLists.txt", *deployenv.ROOT.glob("src/*/CMakeLists.txt")]
    mods = set()
    for f in cmake:
        for m in re.finditer(r"pkg_check_modules\(\w+(?: REQUIRED)? IMPORTED_TARGET ([\w.+-]+)\)",
                             f.read_text()):
            mods.add(m.group(1))
    assert {"libbpf", "yaml-0.1", "libsystemd"} <= mods
    missing = []
    for mod in sorted(mods):
        pcdir = sh(f"pkg-config --variable=pcfiledir {mod}", check=False).stdout.strip()
        if not pcdir:
            missing.append(f"{mod} (not installed here)")
            continue
        owner = sh(f"dpkg -S {pcdir}/{mod}.pc", check=False).stdout.split(":")[0].strip()
        if owner not in bdeps:
            missing.append(f"{mod} (package {owner})")
    assert not missing, f"not in debian/control Build-Depends: {missing}"

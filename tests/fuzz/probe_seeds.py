#!/usr/bin/env python3
"""probe_seeds.py EVENTS_TSV OUTDIR — writes the fuzz_probe seed corpus: runs of
V2 records as the probe puts them in a ring (a process cloned, exec'd, opening
files, a socket connecting, dup/close, chdir, exit). Parameter layouts come
from the event table (shared/reference/events.tsv); values are made up."""
import os
import struct
import sys

W = {"UINT64": 8, "INT64": 8, "ERRNO": 8, "PID": 8, "FD": 8, "RELTIME": 8, "ABSTIME": 8,
     "UINT32": 4, "INT32": 4, "FLAGS32": 4, "UID": 4, "GID": 4, "MODE": 4, "ENUMFLAGS32": 4,
     "FD32": 4, "PID32": 4, "SIGSET": 4, "IPV4ADDR": 4, "UINT16": 2, "INT16": 2, "FLAGS16": 2,
     "ENUMFLAGS16": 2, "PORT": 2, "SYSCALLID": 2, "UINT8": 1, "INT8": 1, "FLAGS8": 1,
     "ENUMFLAGS8": 1, "SIGTYPE": 1}


def table(path):
    t = {}
    for line in open(path):
        if line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        params = [p.strip().split(":") for p in f[7].split(",") if p.strip()]
        t[int(f[0])] = params
    return t


def value(name, typ, v):
    if name in v:
        x = v[name]
        if isinstance(x, bytes):
            return x
        return struct.pack({8: "<Q", 4: "<I", 2: "<H", 1: "<B"}[W[typ]],
                           x & ((1 << (8 * W[typ])) - 1))
    if typ in W:
        return b"\0" * W[typ]
    if typ in ("CHARBUF", "FSPATH", "FSRELPATH"):
        return b"x\0"
    return b""


def record(t, code, tid, ts, v):
    params = t[code]
    data = [value(n, ty, v) for n, ty in params]
    body = b"".join(struct.pack("<H", len(d)) for d in data) + b"".join(data)
    return struct.pack("<QqIHI", ts, tid, 26 + len(body), code, len(params)) + body


def main():
    t = table(sys.argv[1])
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    tuple4 = bytes([2]) + bytes([10, 0, 0, 1]) + struct.pack("<H", 40000) + \
        bytes([93, 184, 216, 34]) + struct.pack("<H", 443)
    sa = bytes([2]) + bytes([93, 184, 216, 34]) + struct.pack("<H", 443)
    unix = bytes([1]) + struct.pack("<QQ", 0xffff1, 0xffff2) + b"/run/x.sock\0"
    proc = {"exe": b"/bin/sh\0", "args": b"-c\0id\0", "tid": 101, "pid": 101, "ptid": 1,
            "cwd": b"/root\0", "comm": b"sh\0", "cgroups": b"cpu=/docker/0123456789ab\0",
            "env": b"HOME=/root\0PATH=/bin\0", "res": 0, "uid": 0, "gid": 0, "vtid": 101,
            "vpid": 101, "loginuid": 1000}
    seeds = {
        "exec_open": [(223, 1, dict(proc, res=101)), (223, 101, dict(proc)),
                      (293, 101, dict(proc, exe=b"/usr/bin/cat\0", args=b"/etc/shadow\0")),
                      (307, 101, {"fd": 3, "dirfd": -100, "name": b"/etc/shadow\0",
                                  "flags": 1, "ino": 42}),
                      (363, 101, {"res": 1, "oldfd": 3, "newfd": 1}),
                      (5, 101, {"res": 0, "fd": 3}), (95, 101, {"res": 0, "path": b"/tmp\0"}),
                      (186, 101, {"status": 0})],
        "net": [(19, 202, {"fd": 4, "domain": 2, "type": 1}),
                (23, 202, {"res": 0, "tuple": tuple4, "fd": 4, "addr": sa}),
                (19, 202, {"fd": 5, "domain": 1, "type": 1}),
                (23, 202, {"res": 0, "tuple": unix, "fd": 5, "addr": b"\x01/run/x.sock\0"}),
                (5, 202, {"res": 0, "fd": 4})],
    }
    for name, evs in seeds.items():
        recs = [record(t, c, tid, 1795330770000000000 + i, v) for i, (c, tid, v) in enumerate(evs)]
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"".join(recs))
        with open(os.path.join(out, name + "_cut"), "wb") as f:
            f.write(b"".join(recs)[:-7])  # a record cut short
    # every other event code with its default values, one record each
    with open(os.path.join(out, "all_codes"), "wb") as f:
        for code in sorted(t):
            f.write(record(t, code, 303, 1795330771000000000 + code, {}))


if __name__ == "__main__":
    main()

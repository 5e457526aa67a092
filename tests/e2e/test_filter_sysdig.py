"""Differential test of the condition language against sysdig 0.29.3.

Every expression of filter_corpus.txt runs over every capture of
../shared/fixtures/traces (with psp/ and current/; of the 1M-event current
capture, the first 100,000 events as `sysdig -n 100000 -w` writes them, so
that both tools read the same shorter file). For each expression sysdig
accepts, the events saker's `inspect FILE FILTER` selects must be the ones
sysdig selects. Events are compared by (evt.rawtime, thread.tid, evt.dir,
evt.type), as the inspect differential joins them, not by evt.num (sysdig
0.29 does not number event codes its table lacks).

A difference is accepted only with a named reason:
- the event is one where a field the expression uses prints differently in
  the two tools for a reason test_inspect_sysdig.py's KNOWN table names
  (the field layer's differences carry into every filter on that field);
- or FILTER_KNOWN below names it (semantics the printed value cannot show,
  such as a field whose value is the string "<NA>").
Anything else fails: a saker bug in the condition language or the fields.
A saker rejection of an expression sysdig accepts also fails, unless
REJECT_KNOWN names it. The agreement figures are printed (pytest -s).

SAKER_DIFF_CACHE=DIR keeps sysdig's outputs across runs (local iteration).
"""
import concurrent.futures as cf
import fnmatch
import hashlib
import os
import pathlib
import re
import subprocess
from collections import Counter, defaultdict

import pytest

import test_inspect_sysdig as insp
from conftest import run

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "filter_corpus.txt"
CURRENT_EVENTS = 100000
KEYFMT = "*" + insp.KEY

# Fields sysdig 0.29 filters on but cannot print: the printable fields they
# are made of (their differences explain the filter's).
# fd.ip/port/net apply to sockets, so the fd type is one of their parts. Raw
# args sysdig cannot print (it aborts on PT_FD/flags raw args) read as their
# printed form.
PARTS = {
    "fd.ip": ("fd.cip", "fd.sip", "fd.type"), "fd.net": ("fd.cip", "fd.sip", "fd.type"),
    "fd.cnet": ("fd.cip",), "fd.snet": ("fd.sip",), "fd.lnet": ("fd.lip",),
    "fd.rnet": ("fd.rip",), "fd.port": ("fd.cport", "fd.sport", "fd.type"),
    "fd.proto": ("fd.cport", "fd.sport", "fd.type"),
    "evt.rawarg.fd": ("evt.arg.fd",), "evt.rawarg.flags": ("evt.arg.flags",),
}

FIELD_RE = re.compile(r"(?<![\w/.*-])((?:evt|proc|thread|user|group|container|fd|fdlist|"
                      r"syscall|k8s|fs)\.[a-zA-Z0-9_.]+(?:\[[^\]]*\])?)")


def _na_string(fields):
    """The field prints "<NA>" in both tools: current libsinsp's value is
    the string "<NA>" (so `exists`/`!=` see a value) where sysdig 0.29 had
    none."""
    def pred(expr, srow, krow):
        return any(srow.get(f) == "<NA>" == krow.get(f) for f in fields
                   if re.search(re.escape(f) + r"\b", expr))
    return pred


def _uses(expr, field):
    return re.search(re.escape(field) + r"(?![a-zA-Z0-9_.])", expr) is not None


def _buflen_exit(expr, srow, krow):
    return (_uses(expr, "evt.buflen") and krow.get("evt.dir") == "<"
            and srow.get("evt.buflen") == krow.get("evt.buflen") != "<NA>")


def _latency(expr, srow, krow):
    return _uses(expr, "evt.latency") and krow.get("evt.latency") == "0" != srow.get("evt.latency")


# (capture globs or None, predicate on (expr, sysdig row, saker row), reason)
FILTER_KNOWN = [
    (None, _buflen_exit,
     "sysdig 0.29 bug: evt.buflen has no value in filters on exit events though it prints "
     "one (cat_write.scap: the read exit #153 prints 832, yet 'evt.buflen = 832' selects "
     "nothing); current libsinsp gives the exit's byte count"),
    (None, _latency,
     "newer semantic: evt.latency is deprecated and always 0 in current libsinsp "
     "(sinsp_filtercheck_event hardcodes it); sysdig 0.29 measured enter-to-exit time"),
    (None, _na_string(("user.name", "user.homedir", "user.shell", "user.loginname",
                       "group.name")),
     "newer semantic: current libsinsp gives a user/group missing from the tables the "
     "string '<NA>' (sinsp_filtercheck_user/group: 'root' for uid 0, else '<NA>'), a "
     "value that `exists` and `!=` see; sysdig 0.29 gave no value"),
    (None, _na_string(("fd.l4proto",)),
     "newer semantic: current libsinsp's fd.l4proto is the string '<NA>' (a value) for an "
     "fd without a known L4 protocol; sysdig 0.29 gave none"),
]

# Expressions sysdig 0.29 accepts and saker rejects: (regex, reason).
REJECT_KNOWN = []


def corpus():
    return [l for l in CORPUS.read_text().splitlines() if l.strip() and not l.startswith("#")]


def fields_of(expr):
    """Printable fields an expression reads (filter-only ones as their parts)."""
    out = set()
    for f in FIELD_RE.findall(expr):
        base = f.split("[")[0]
        for p in PARTS.get(base, (f,)):
            out.add(p)
    return out


def capture_list(fixtures, tmpdir):
    t = fixtures / "traces"
    caps = sorted(t.glob("*.scap")) + sorted((t / "psp").glob("*.scap"))
    for big in sorted((t / "current").glob("*.scap*")):
        small = tmpdir / (big.name.split(".scap")[0] + f"-first{CURRENT_EVENTS}.scap")
        r = run(["sysdig", "-r", str(big), "-n", str(CURRENT_EVENTS), "-w", str(small)])
        assert r.returncode == 0 and small.exists(), r.stderr
        caps.append(small)
    return caps


def _cached(args, tag):
    """sysdig's output, from SAKER_DIFF_CACHE when set."""
    keep = os.environ.get("SAKER_DIFF_CACHE")
    if keep:
        h = hashlib.sha1("\0".join(args[1:]).encode()).hexdigest()[:16]
        path = os.path.join(keep, f"filter-{tag}-{h}.txt")
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                rc, out = f.readline().strip(), f.read()
                return int(rc), out
    r = run(args, errors="replace", timeout=300)
    if keep:
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"{r.returncode}\n{r.stdout}")
    return r.returncode, r.stdout


def keys_of(text):
    """The join keys of the printed events, duplicates counted."""
    out = Counter()
    for line in text.splitlines():
        parts = line.split(" ", 3)
        if len(parts) == 4:
            out[(parts[0], parts[1], parts[2], insp.TYPE_ALIAS.get(parts[3], parts[3]))] += 1
    return out


def one(saker, sysdig, expr, cap):
    rc, sout = _cached([sysdig, "-r", str(cap), "-p", KEYFMT, expr], cap.name)
    if rc != 0:
        return ("rejected", expr, cap, None, None)
    k = run([saker, "inspect", "-p", KEYFMT, str(cap), expr], errors="replace", timeout=300)
    if k.returncode != 0:
        return ("saker-error", expr, cap, k.stderr.strip()[:300], None)
    a, b = keys_of(sout), keys_of(k.stdout)
    if a == b:
        return ("agree", expr, cap, None, None)
    return ("differ", expr, cap, a - b, b - a)


def field_rows(saker, sysdig, cap, fields):
    """key -> (sysdig row, saker row) for every event both tools print."""
    srows = insp.tool_rows(sysdig, str(cap), fields)
    krows = insp.tool_rows(saker, str(cap), fields)
    pairs, _, _ = insp.join(srows, krows, False)
    out = {}
    for svals, kvals in pairs:
        srow, krow = dict(zip(fields, svals)), dict(zip(fields, kvals))
        typ = insp.TYPE_ALIAS.get(srow["evt.type"], srow["evt.type"])
        key = (srow["evt.rawtime"], srow["thread.tid"], srow["evt.dir"], typ)
        out.setdefault(key, (srow, krow))
    return out


def explain_event(cap, expr, key, rows):
    """The reason an event is selected by one tool only, or None."""
    if key not in rows:
        return None
    srow, krow = rows[key]
    for f in sorted(fields_of(expr)):
        if f not in srow:
            continue
        w, g = srow[f], krow[f]
        if insp.norm(w) != insp.norm(g):
            why = insp.explain(insp.Diff(cap, f, w, g, srow, krow))
            if why:
                return f"{f}: {why}"
    for caps, pred, why in FILTER_KNOWN:
        if caps and not any(fnmatch.fnmatchcase(cap, c) for c in caps):
            continue
        if pred(expr, srow, krow):
            return why
    return None


def test_filter_corpus_matches_sysdig(saker_bin, fixtures, sysdig, tmp_path):
    exprs = corpus()
    assert len(exprs) >= 300
    caps = capture_list(fixtures, tmp_path)
    assert caps, "no captures under traces/"
    jobs = [(e, c) for e in exprs for c in caps]
    with cf.ThreadPoolExecutor(max(2, os.cpu_count() or 2)) as ex:
        res = list(ex.map(lambda j: one(saker_bin, sysdig, *j), jobs))

    # field values of every capture where runs differ: the inspect
    # differential's fields (its rows, shared) plus the corpus fields it
    # does not print
    base = tuple(f for f in insp.FIELDS if f not in insp.NOT_COMPARABLE)
    need = defaultdict(set)
    for kind, expr, cap, _, _ in res:
        if kind == "differ":
            need[cap].update(f for f in fields_of(expr)
                             if f not in base and f not in insp.NOT_COMPARABLE)
    probe = str(fixtures / "traces" / "cat_write.scap")
    refused = {f for f in set().union(*need.values()) if insp.sysdig_refuses(sysdig, probe, f)}
    rows = {}
    for cap, extra in need.items():
        rows[cap] = field_rows(saker_bin, sysdig, cap, base)
        extra -= refused
        if extra:
            key = ("evt.rawtime", "thread.tid", "evt.dir", "evt.type")
            more = field_rows(saker_bin, sysdig, cap, key + tuple(sorted(extra)))
            for k, (srow, krow) in more.items():
                if k in rows[cap]:
                    rows[cap][k][0].update(srow)
                    rows[cap][k][1].update(krow)

    count = Counter(r[0] for r in res)
    reasons = Counter()
    bad, errors = [], []
    explained_runs = 0
    for kind, expr, cap, only_s, only_k in res:
        if kind == "saker-error":
            why = next((w for rx, w in REJECT_KNOWN if re.search(rx, expr)), None)
            if why:
                reasons[("rejected", why)] += 1
            else:
                errors.append((expr, cap.name, only_s))
            continue
        if kind != "differ":
            continue
        unexplained = []
        for side, keys in (("sysdig", only_s), ("saker", only_k)):
            for key in keys:
                why = explain_event(cap.name, expr, key, rows[cap])
                if why:
                    reasons[why] += 1
                else:
                    unexplained.append((side, key))
        if unexplained:
            bad.append((expr, cap.name, unexplained))
        else:
            explained_runs += 1

    checked = count["agree"] + count["differ"] + count["saker-error"]
    accepted = {r[1] for r in res if r[0] != "rejected"}
    print(f"\nfilter corpus: {len(exprs)} expressions x {len(caps)} captures "
          f"({', '.join(c.name for c in caps)}); sysdig accepted {len(accepted)} expressions")
    print(f"runs: {dict(count)}")
    print(f"AGREEMENT: {count['agree']}/{checked} runs select exactly sysdig's events "
          f"({100.0 * count['agree'] / max(checked, 1):.2f}%); {explained_runs} differ only "
          f"on events with a named reason; {len(bad)} unexplained; {len(errors)} rejected")
    print("events selected by one tool only, by reason:")
    for why, n in reasons.most_common():
        print(f"  x{n}: {why}")
    for expr, cap, un in bad[:40]:
        print(f"UNEXPLAINED {expr!r} on {cap}: {un[:4]}")
    for e in errors[:20]:
        print(f"REJECTED {e}")
    assert not errors, f"saker rejected {len(errors)} expressions sysdig accepts"
    assert not bad, f"{len(bad)} runs differ from sysdig without a named reason (see output)"

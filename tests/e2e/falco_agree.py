#!/usr/bin/env python3
"""Differential comparison of saker with Falco 0.44.1 on the shared captures.

Falco's side is ../shared/fixtures/falco-0.44.1/ (README there): for every capture
the typed `output_fields` of a catch-all rule naming the fields of fields.txt, for
every event that reached its rules, and the events each condition of
filter_corpus.txt selects. This runs saker the same way (same rule, base_syscalls.all,
rule_matching: all, JSON output, replay) and compares typed JSON values event by event,
in Falco's order. Used by test_falco_agree.py and by hand:

    tests/e2e/falco_agree.py [--saker build/saker] [--fields] [--filters] [-v] [CAPTURE...]

prints, per capture, cells agreeing / total, the events only one side passed to the
rules, and a per-field disagreement table (with one example per field under -v).
"""
import argparse
import collections
import concurrent.futures
import difflib
import gzip
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures"
FALCO = FIXTURES / "falco-0.44.1"
CORPUS = ROOT / "tests" / "e2e" / "filter_corpus.txt"

# Fields where saker deliberately differs from Falco 0.44.1 because Falco is wrong;
# each entry is documented in docs/inspect.md ("Deliberate differences from Falco
# 0.44.1") with the evidence. Cells of these fields are left out of the agreement.
ALLOWED = {
    # Falco 0.44.1 gives proc.ppid.duration a value when the parent's start is
    # unknown (proc.ppid.ts 0, every parent loaded from a capture's process
    # list): a few units, always equal to the event's proc.fdopencount (6,894
    # of 6,894 such events), not a duration since the parent started. saker
    # gives none, as it does for proc.duration of a thread of unknown start.
    "proc.ppid.duration": lambda w, g: (w.get("proc.ppid.ts") == 0 and g.get("proc.ppid.duration") is None
                                        and w.get("proc.ppid.duration") == w.get("proc.fdopencount")),
    # Falco 0.44.1 prints the empty data buffer of a read that returned nothing
    # (res 0 or an error; evt.args shows data=NULL) as "NULL" written over bytes
    # left from earlier events ("NULL..97956520d89:/# " after a write of
    # "root@697956520d89:/# "): stale memory. saker gives the empty buffer.
    "evt.buffer": lambda w, g: (g.get("evt.buffer") == "" and (w.get("evt.buffer") or "").startswith("NUL")
                                and " data=NULL " in (w.get("evt.args") or "")),
}

# Filters whose selections differ on purpose (docs/inspect.md): Falco 0.44.1's
# `fd.ip exists` (fd.ip is filter-only: matches either end of a socket) is true
# for every event with an fd in the table, regular files included
# (open /etc/ld.so.cache in cat_write.scap); saker: only for inet sockets.
ALLOWED_FILTERS = {
    "not fd.ip exists",
}

CONFIG = """\
config_files: []
watch_config_files: false
load_plugins: [container]
priority: debug
rule_matching: all
json_output: true
json_include_output_property: false
json_include_tags_property: false
json_include_output_fields_property: true
stdout_output: {enabled: true}
syslog_output: {enabled: false}
log_stderr: true
log_syslog: false
base_syscalls:
  all: true
# every alert kept (saker's default bound drops alerts when stdout is slow)
outputs_queue:
  capacity: 100000000
"""


def captures():
    """(fixture name, capture path) of every capture Falco's side covers."""
    out = []
    for f in sorted((FALCO / "fields").glob("*.fields.jsonl.gz")):
        name = f.name[:-len(".fields.jsonl.gz")]
        rel = name.replace("psp_", "psp/", 1) if name.startswith("psp_") else name
        out.append((name, FIXTURES / "traces" / rel))
    return out


def field_names():
    return (FALCO / "fields.txt").read_text().split()


def run_saker(saker, capture, rules_text, tmp):
    """Runs saker's rules engine over capture with rules_text; returns the
    output_fields objects of its alerts (each with the rule name under 'rule')."""
    conf = pathlib.Path(tmp) / "falco.yaml"
    conf.write_text(CONFIG)
    rules = pathlib.Path(tmp) / "rules.yaml"
    rules.write_text(rules_text)
    args = [saker, "-c", str(conf), "-r", str(rules), "-o", "engine.kind=replay",
            "-o", "engine.replay.capture_file=%s" % capture]
    env = dict(os.environ, FALCO_HOSTNAME="vm", TZ="UTC")
    r = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("saker on %s: exit %d: %s" % (capture, r.returncode, r.stderr[-2000:]))
    out = []
    for line in r.stdout.splitlines():
        if line.startswith("{"):
            a = json.loads(line)
            of = a.get("output_fields", {})
            of["rule"] = a.get("rule")
            out.append(of)
    return out


def fields_rule(names):
    out = " ".join("%s=%%%s" % (n.replace(".", "_"), n) for n in names)
    return ("- rule: all_fields\n  desc: every field\n  condition: evt.num > 0\n"
            "  output: \"%s\"\n  priority: INFO\n" % out)


def key(ev):
    return (ev.get("evt.rawtime"), ev.get("thread.tid"), ev.get("evt.type"))


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
                and not isinstance(a, bool) and not isinstance(b, bool):
            return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return a == b and type(a) is type(b)


def compare_fields(saker, name, capture):
    """Returns a dict: cells, agree, only_falco, only_saker (event keys), and per
    field [count, example]."""
    names = field_names()
    want = [json.loads(l) for l in gzip.open(FALCO / "fields" / (name + ".fields.jsonl.gz"), "rt")]
    with tempfile.TemporaryDirectory(prefix="agree-") as tmp:
        got = run_saker(saker, capture, fields_rule(names), tmp)
    wk = [key(e) for e in want]
    gk = [key(e) for e in got]
    sm = difflib.SequenceMatcher(None, wk, gk, autojunk=False)
    res = {"cells": 0, "agree": 0, "allowed": 0, "only_falco": [], "only_saker": [],
           "fields": collections.defaultdict(lambda: [0, None])}
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            for w, g in zip(want[i1:i2], got[j1:j2]):
                for n in names:
                    wv, gv = w.get(n), g.get(n)
                    if n in ALLOWED and not same(wv, gv) and ALLOWED[n](w, g):
                        res["allowed"] += 1
                        continue
                    res["cells"] += 1
                    if same(wv, gv):
                        res["agree"] += 1
                    else:
                        f = res["fields"][n]
                        f[0] += 1
                        if f[1] is None:
                            f[1] = (key(w), wv, gv)
            continue
        res["only_falco"] += wk[i1:i2]
        res["only_saker"] += gk[j1:j2]
        # an event only one side passed to rules counts as every cell disagreeing
        res["cells"] += (i2 - i1) * len(names)
    res["fields"] = dict(res["fields"])
    return res


def filter_lines():
    out = []
    for line in CORPUS.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def yaml_quote(s):
    return "'" + s.replace("'", "''") + "'"


def accepted_by_saker(saker, filters, tmp):
    """Which filters saker accepts as a rule condition (saker -V on one rule each
    would be slow: validate them in one file per filter, in one process pool)."""
    acc = {}
    conf = pathlib.Path(tmp) / "falco.yaml"
    conf.write_text(CONFIG)

    def one(i):
        f = filters[i]
        p = pathlib.Path(tmp) / ("v%d.yaml" % i)
        p.write_text("- rule: f\n  desc: d\n  condition: %s\n  output: x\n  priority: INFO\n"
                     % yaml_quote("(" + f + ")"))
        r = subprocess.run([saker, "-c", str(conf), "-V", str(p)], capture_output=True,
                           text=True, timeout=60)
        return f, r.returncode == 0
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        for f, ok in ex.map(one, range(len(filters))):
            acc[f] = ok
    return acc


def compare_filters(saker, caps, verbose=False):
    """Returns (accept_agree, accept_total, {capture: (filters agreeing, total,
    [differing filters])})."""
    data = json.load(gzip.open(FALCO / "filters.json.gz", "rt"))
    filters = [f for f in dict.fromkeys(filter_lines()) if f in data["accepted"]]
    with tempfile.TemporaryDirectory(prefix="agree-f-") as tmp:
        acc = accepted_by_saker(saker, filters, tmp)
        acc_ok = sum(1 for f in filters if acc[f] == data["accepted"][f])
        usable = [f for f in filters if acc[f] and data["accepted"][f]]
        rules = "".join(
            "- rule: f%d\n  desc: d\n  condition: %s\n"
            "  output: \"%%evt.rawtime %%thread.tid %%evt.type\"\n  priority: INFO\n"
            % (i, yaml_quote("(" + f + ")")) for i, f in enumerate(usable))

        def one(cap):
            name, path = cap
            rel = str(path.relative_to(FIXTURES / "traces"))
            d = tempfile.mkdtemp(dir=tmp)
            got = collections.defaultdict(list)
            for a in run_saker(saker, path, rules, d):
                i = int(a["rule"][1:])
                got[usable[i]].append("%s %s %s" % (a.get("evt.rawtime"), a.get("thread.tid"),
                                                   a.get("evt.type")))
            want = data["captures"].get(rel, {})
            bad = [f for f in usable
                   if got.get(f, []) != want.get(f, []) and f not in ALLOWED_FILTERS]
            return rel, (len(usable) - len(bad), len(usable), bad)
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            per = dict(ex.map(one, caps))
    return acc_ok, len(filters), per


def compare_all_fields(saker, caps):
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        return dict(zip([c[0] for c in caps],
                        ex.map(lambda c: compare_fields(saker, c[0], c[1]), caps)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--saker", default=str(ROOT / "build" / "saker"))
    ap.add_argument("--fields", action="store_true")
    ap.add_argument("--filters", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("capture", nargs="*")
    a = ap.parse_args()
    if not a.fields and not a.filters:
        a.fields = a.filters = True
    caps = [c for c in captures() if not a.capture or c[0] in a.capture]
    if a.fields:
        tot = agr = alw = 0
        allf = collections.Counter()
        for name, r in compare_all_fields(a.saker, caps).items():
            tot += r["cells"]
            agr += r["agree"]
            alw += r["allowed"]
            print("%-40s %8d / %8d  %6.2f%%  only falco %d, only saker %d" % (
                name, r["agree"], r["cells"], 100.0 * r["agree"] / max(1, r["cells"]),
                len(r["only_falco"]), len(r["only_saker"])))
            if a.verbose:
                for k in r["only_falco"][:5]:
                    print("    only falco:", k)
                for k in r["only_saker"][:5]:
                    print("    only saker:", k)
            for f, (n, ex) in sorted(r["fields"].items(), key=lambda x: -x[1][0]):
                allf[f] += n
                if a.verbose:
                    print("    %-32s %6d  e.g. %s falco=%r saker=%r" % (f, n, ex[0], ex[1], ex[2]))
        print("%-40s %8d / %8d  %6.2f%%  (%d cells of documented deliberate differences left out)"
              % ("TOTAL", agr, tot, 100.0 * agr / max(1, tot), alw))
        for f, n in allf.most_common():
            print("  %-34s %7d" % (f, n))
    if a.filters:
        acc_ok, acc_n, per = compare_filters(a.saker, caps, a.verbose)
        print("filters accepted as Falco does: %d / %d" % (acc_ok, acc_n))
        for rel, (ok, n, bad) in sorted(per.items()):
            print("%-40s filters agreeing %d / %d" % (rel, ok, n))
            if a.verbose:
                for f in bad:
                    print("    differs:", f)
    return 0


if __name__ == "__main__":
    sys.exit(main())

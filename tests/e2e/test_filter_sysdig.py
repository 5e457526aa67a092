"""Differential test of the condition language against sysdig 0.29.3.

Every expression of filter_corpus.txt is run over the three most varied
small captures (FULL_CAPTURES); every other capture in ../shared/fixtures/traces
gets every SPARSE-th expression, which keeps the run near 2 minutes on 2
cores (sysdig costs ~50 ms a run). The 1M-event current/ capture is left to
the bench: sysdig's -n counts matches, not events read. For each expression sysdig accepts, the set of evt.num
that `saker inspect` prints must equal sysdig's. The agreement figure is
printed; the test fails on any saker rejection of an accepted expression
and when agreement falls below the recorded floor (known differences come
from the field/state layers and are listed in the output)."""
import concurrent.futures as cf
import os
import pathlib

import pytest
from conftest import run

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "filter_corpus.txt"
# Recorded agreement (per expression x capture) when the test was written;
# raise it as the field layer closes gaps.
AGREEMENT_FLOOR = float(os.environ.get("SAKER_FILTER_AGREEMENT_FLOOR", "0.78"))
FULL_CAPTURES = {"cat_write.scap", "connect_localhost.scap", "open-multiple-files.scap"}
SPARSE = 8


def corpus():
    out = []
    for line in CORPUS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            out.append(line)
    return out


def captures(fixtures):
    return sorted(p for p in (fixtures / "traces").rglob("*.scap"))


def one(saker_bin, sysdig, expr, cap):
    s = run([sysdig, "-r", str(cap), "-p", "%evt.num", expr], timeout=120)
    if s.returncode != 0:
        return ("rejected", expr, cap, None)
    k = run([saker_bin, "inspect", "-p", "%evt.num", str(cap), expr], timeout=120)
    if k.returncode != 0:
        return ("saker-error", expr, cap, k.stderr.strip()[:200])
    a, b = set(s.stdout.split()), set(k.stdout.split())
    if a == b:
        return ("agree", expr, cap, None)
    only_s = sorted(a - b, key=int)[:6]
    only_k = sorted(b - a, key=int)[:6]
    return ("differ", expr, cap, f"sysdig-only {only_s} saker-only {only_k}")


def test_filter_corpus_matches_sysdig(saker_bin, fixtures, sysdig):
    exprs = corpus()
    assert len(exprs) >= 300
    caps = captures(fixtures)
    assert caps, "no captures under traces/"
    probe = run([saker_bin, "inspect", "-p", "%evt.num", str(caps[0]), "evt.num > 0"])
    if "not built yet" in probe.stderr:
        pytest.skip("saker inspect is not implemented in this build")
    assert probe.returncode == 0, f"saker inspect with a FILTER failed: {probe.stderr}"
    jobs = [(e, c) for i, e in enumerate(exprs) for c in caps
            if c.name in FULL_CAPTURES or i % SPARSE == 0]
    with cf.ThreadPoolExecutor(max(2, os.cpu_count() or 2)) as ex:
        res = list(ex.map(lambda j: one(saker_bin, sysdig, *j), jobs))
    count = {}
    for r in res:
        count[r[0]] = count.get(r[0], 0) + 1
    checked = count.get("agree", 0) + count.get("differ", 0) + count.get("saker-error", 0)
    accepted = {r[1] for r in res if r[0] != "rejected"}
    agreement = count.get("agree", 0) / checked if checked else 0.0
    print(f"\nfilter corpus: {len(exprs)} expressions x {len(caps)} captures; "
          f"sysdig accepted {len(accepted)} expressions; {count}")
    print(f"agreement: {count.get('agree', 0)}/{checked} = {agreement:.4f}")
    for r in res:
        if r[0] in ("differ", "saker-error"):
            print(f"  {r[0]}: {r[1]!r} on {r[2].name}: {r[3]}")
    errors = [r for r in res if r[0] == "saker-error"]
    assert not errors, f"saker rejected {len(errors)} expressions sysdig accepts: {errors[:5]}"
    assert agreement >= AGREEMENT_FLOOR

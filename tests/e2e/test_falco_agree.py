"""Differential test against Falco 0.44.1 itself (issue 16): every field of
fields.txt on every event that reached Falco's rules, compared as typed JSON
values in Falco's order, and the events every condition of filter_corpus.txt
selects, on every shared capture (../shared/fixtures/falco-0.44.1/, README
there). The comparison is tests/e2e/falco_agree.py (run it by hand with -v for
the per-field disagreement table); its ALLOWED table lists, with the evidence,
the documented deliberate differences (docs/inspect.md), left out of the
figures."""
import pytest

import falco_agree as fa

# Cells (event x field) that may still disagree per capture, out of ~2 million
# (the floor this test enforces: a regression fails it). Not 0 yet: what is
# left is listed in REMAINING, by field, with the reason.
MAX_DIFFERING_CELLS = {
    "ping_sendto.scap": 1,
}

# Fields that may still disagree (on the captures named), and why.
REMAINING = {
    # the first sendmsg on a UDP socket of the capture's fd table: Falco counts
    # its tuple as a name change, saker does not
    "fd.name_changed": {"ping_sendto.scap"},
}


@pytest.fixture(scope="module")
def falco_data(fixtures):
    if not (fa.FALCO / "fields.txt").exists():
        pytest.skip("Falco 0.44.1 reference outputs missing (../shared/fixtures/falco-0.44.1)")
    caps = [c for c in fa.captures() if c[1].exists()]
    if not caps:
        pytest.skip("shared captures missing")
    return caps


def test_fields_agree_with_falco(saker_bin, falco_data):
    res = fa.compare_all_fields(saker_bin, falco_data)
    problems = []
    for name, r in sorted(res.items()):
        # every event Falco passed to its rules, and no other
        if r["only_falco"] or r["only_saker"]:
            problems.append("%s: events only Falco passed to rules %s, only saker %s"
                            % (name, r["only_falco"][:3], r["only_saker"][:3]))
        bad = r["cells"] - r["agree"]
        print("%-40s %8d / %8d cells agree (%.4f%%), %d deliberate differences left out"
              % (name, r["agree"], r["cells"], 100.0 * r["agree"] / max(1, r["cells"]),
                 r["allowed"]))
        if bad > MAX_DIFFERING_CELLS.get(name, 0):
            problems.append("%s: %d cells differ, at most %d expected"
                            % (name, bad, MAX_DIFFERING_CELLS.get(name, 0)))
        for f, (n, ex) in r["fields"].items():
            if name not in REMAINING.get(f, ()):
                problems.append("%s: %s differs on %d events, e.g. %s: falco %r, saker %r"
                                % (name, f, n, ex[0], ex[1], ex[2]))
    assert not problems, "\n".join(problems)


def test_filters_agree_with_falco(saker_bin, falco_data):
    acc_ok, acc_n, per = fa.compare_filters(saker_bin, falco_data)
    # every condition accepted or rejected as Falco 0.44.1 does (it rejects
    # \xHH escapes, which only `saker inspect` takes, as sysdig does, and
    # evt.type values that name no event, whatever the operator)
    assert acc_ok == acc_n
    problems = []
    for rel, (ok, n, bad) in sorted(per.items()):
        print("%-40s %d / %d filters select the same events" % (rel, ok, n))
        if bad:
            problems.append("%s: %d / %d filters agree; differing: %s" % (rel, ok, n, bad[:10]))
    assert not problems, "\n".join(problems)

"""The libs 0.24/0.25 condition forms (join, concat, getopt, oneof/anyof/allof)
through `saker inspect` on a real capture: each new-form filter must select
exactly the events an equivalent condition written with the older operators
selects (conditions.md §2 and §5), and at least one event."""
import pytest

from conftest import run

CAPTURE = "traces/current/workload-falco-0.44.1.scap.gz"

PAIRS = [
    # §5 concat: parts joined, every part needed
    ("concat(proc.name, ':', fd.name) = 'cat:/etc/shadow'",
     "proc.name = cat and fd.name = /etc/shadow"),
    # §5 join over a list argument (a missing element leaves no value)
    ("join(',', (proc.name, fd.name)) startswith 'touch,/etc/'",
     "proc.name = touch and fd.name startswith /etc/"),
    # §5 getopt with a selector: -f given as the first argument of rm
    ("proc.name = rm and getopt((proc.args[0]), 'f')[f] exists",
     "proc.name = rm and proc.args[0] = -f"),
    # §2 modifiers
    ("proc.name = anyof (cat, touch)", "proc.name in (cat, touch)"),
    ("fd.name contains allof (etc, shadow)", "fd.name contains etc and fd.name contains shadow"),
    ("evt.type = openat and proc.name != allof (cat, touch)",
     "evt.type = openat and proc.name exists and not proc.name in (cat, touch)"),
    ("fd.name startswith oneof (/etc, /etc/sh)",
     "fd.name startswith /etc and not fd.name startswith /etc/sh"),
]


def nums(saker_bin, path, flt):
    r = run([saker_bin, "inspect", "-p", "%evt.num", str(path), flt])
    assert r.returncode == 0, f"{flt}: {r.stderr}"
    return r.stdout.split()


@pytest.mark.parametrize("new,old", PAIRS)
def test_new_forms_match_old(saker_bin, fixtures, new, old):
    path = fixtures / CAPTURE
    if not path.exists():
        pytest.skip(f"{path} absent")
    got, want = nums(saker_bin, path, new), nums(saker_bin, path, old)
    assert want, f"the reference condition matches nothing: {old}"
    assert got == want


def test_compile_error_column(saker_bin, fixtures):
    path = fixtures / "traces/syscall.scap"
    r = run([saker_bin, "inspect", str(path), "concat(proc.name) = x"])
    assert r.returncode != 0
    assert "concat() takes at least 2 arguments" in r.stderr and "column 1" in r.stderr
    r = run([saker_bin, "inspect", str(path), "proc.name = oneof (a"])
    assert r.returncode != 0 and "column 19" in r.stderr

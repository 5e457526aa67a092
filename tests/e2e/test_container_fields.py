"""container.* and k8s.* over the shared captures, compared with what Falco
0.44.1 (container plugin 0.7.1) gives on the same events
(../shared/fixtures/falco-0.44.1/fields): the old captures carry container
records (container events, converted to the JSON form), so this checks the
record parsing and every rendering rule (host record, unknown container,
labels, mounts, pod fields through the sandbox fallback).

Events are joined on (evt.rawtime, thread.tid, evt.type). Left out, by name:
`procinfo` events (an internal event of old captures that no rule sees;
Falco gives threads loaded from a capture's process list no container until
they clone or exec, a thread-table matter of the agreement issue)."""
import gzip
import json

import pytest

from conftest import run

JOIN = ["evt.rawtime", "thread.tid", "evt.type"]


def container_fields(fixtures):
    names = (fixtures / "falco-0.44.1" / "fields.txt").read_text().split()
    return [f for f in names if f.startswith(("container.", "k8s."))]


def captures(fixtures):
    traces = fixtures / "traces"
    for p in sorted(traces.glob("*.scap")) + sorted((traces / "psp").glob("*.scap")):
        name = ("psp_" if p.parent.name == "psp" else "") + p.name
        ref = fixtures / "falco-0.44.1" / "fields" / f"{name}.fields.jsonl.gz"
        if ref.exists():
            yield p, ref


def test_container_fields_match_falco(saker_bin, fixtures, tmp_path):
    fields = container_fields(fixtures)
    assert len(fields) >= 30
    out = " ".join(f"{f}=%{f}" for f in fields + JOIN)
    rules = tmp_path / "all.yaml"
    rules.write_text(f"- rule: all\n  desc: all\n  condition: evt.num > 0\n"
                     f"  output: \"{out}\"\n  priority: INFO\n")
    compared = differ = 0
    report = []
    seen_containers = 0
    for cap, ref in captures(fixtures):
        r = run([saker_bin, "-r", str(rules), "-o", "json_output=true", "-o", "rule_matching=all",
                 "-o", "base_syscalls.all=true", "-e", str(cap)])
        assert r.returncode == 0, r.stderr
        got = {}
        for line in r.stdout.splitlines():
            if line.startswith("{"):
                of = json.loads(line)["output_fields"]
                got[tuple(of.get(k) for k in JOIN)] = of
        with gzip.open(ref, "rt") as fh:
            for line in fh:
                want = json.loads(line)
                if want.get("evt.type") == "procinfo":
                    continue
                have = got.get(tuple(want.get(k) for k in JOIN))
                if have is None:
                    continue
                if want.get("container.type") not in (None, "host"):
                    seen_containers += 1
                for f in fields:
                    compared += 1
                    if want.get(f) != have.get(f):
                        differ += 1
                        if len(report) < 20:
                            report.append(f"{cap.name} {f}: falco={want.get(f)!r} saker={have.get(f)!r}")
    assert compared > 100000
    assert seen_containers > 200, "the captures' container events were not applied"
    assert differ == 0, "\n".join(report)


CONTAINER_RULE = """\
- rule: in container
  desc: any event of a process in a container
  condition: container.id != host and evt.type != container
  output: "exec %proc.name %container.info"
  priority: WARNING
"""


def test_plugin_config_errors(saker_bin, fixtures, tmp_path):
    """The container plugin's configuration as Falco users write it: bad
    input is a fatal error naming the problem; unknown plugins are Falco's
    load errors."""
    cap = fixtures / "traces" / "psp" / "privileged.scap"
    rules = tmp_path / "r.yaml"
    rules.write_text(CONTAINER_RULE)
    cases = [
        ("load_plugins: [cloudtrail]\nplugins:\n  - name: cloudtrail\n    library_path: libcloudtrail.so\n",
         "cannot load plugin 'cloudtrail'"),
        ("load_plugins: [nosuch]\n", "Cannot load plugin 'nosuch': plugin config not found"),
        ("plugins:\n  - name: container\n    library_path: libcontainer.so\n"
         "    init_config:\n      engines: {cri: {sockets: [1]}}\n",
         "engines.cri.sockets[0] must be a string"),
        ("plugins:\n  - name: container\n    library_path: libcontainer.so\n"
         "    init_config:\n      label_max_len: -3\n", "label_max_len"),
    ]
    for conf_text, want in cases:
        conf = tmp_path / "falco.yaml"
        conf.write_text(conf_text)
        r = run([saker_bin, "-c", str(conf), "-r", str(rules), "-e", str(cap)])
        assert r.returncode != 0, conf_text
        assert want in r.stderr, (conf_text, r.stderr[-800:])


def test_print_formats_of_falco_022(saker_bin, fixtures, tmp_path):
    """-pc / -pk replace %container.info (or are appended); -p FORMAT is
    appended; --cri PATH and -k URL are accepted."""
    # (privileged.scap has no event of a process in its container: only its
    # container event, as Falco 0.44.1 sees it)
    cap = fixtures / "traces" / "psp" / "run_as_user_0_container.scap"
    rules = tmp_path / "r.yaml"
    rules.write_text(CONTAINER_RULE + CONTAINER_RULE.replace("in container", "plain")
                     .replace(" %container.info", ""))
    base = [saker_bin, "-c", "/dev/null", "-o", "stdout_output.enabled=true", "-o",
            "rule_matching=all", "-r", str(rules), "-e", str(cap)]
    want = {
        "-pc": "container=hopeful_taussig (id=697956520d89)",
        "-pk": "k8s.ns=<NA> k8s.pod=<NA> container=697956520d89",
        "-pextra=%container.name": "extra=hopeful_taussig",
    }
    for flag, text in want.items():
        r = run(base + [flag, "--cri", "/nonexistent.sock", "-k", "http://127.0.0.1:1"])
        assert r.returncode == 0, r.stderr[-800:]
        lines = [l for l in r.stdout.splitlines() if " exec " in l]
        assert lines, r.stdout[-800:]
        for l in lines:
            assert l.endswith(text), (flag, l)
            assert "%container.info" not in l

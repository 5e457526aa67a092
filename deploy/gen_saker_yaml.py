#!/usr/bin/env python3
"""gen_saker_yaml.py — writes saker.yaml, the documented configuration that
`cmake --install` and the package install as /etc/saker/saker.yaml. The
build runs it (cmake/install.cmake), so the file follows src/config/keys.c.

Every key of src/config/keys.c (the one table of configuration keys) is
written with the value saker uses when the key is absent, so the file and the
built-in defaults cannot drift apart (tests/e2e/test_deploy.py checks it).
The only values that differ are PACKAGE below, each with the reason, printed
next to it in the file.

usage: deploy/gen_saker_yaml.py OUT [CONFDIR]   (CONFDIR: default /etc/saker)
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
KEYS_C = ROOT / "src" / "config" / "keys.c"

class Raw(str):
    """A value written as given (YAML block text indented under its key)."""


# Settings of the installed file that differ from the built-in defaults.
PACKAGE = {
    "rules_files": (["/etc/saker/saker_rules.yaml", "/etc/saker/saker_rules.local.yaml",
                     "/etc/saker/rules.d"],
                    "the default rules, then your own: later files override earlier ones"),
    "engine.kind": ("modern_ebpf", "absent: kmod, which saker serves with the same eBPF probe"),
    "stdout_output.enabled": (True, "absent: false; under systemd stdout is the journal"),
    "load_plugins": (["container"], "absent: every plugins entry (none); the container plugin\n"
                     "adds container and pod metadata, as Falco's config.d/falco.container_plugin.yaml"),
    "append_output": (Raw("  - suggested_output: true"),
                      "absent: none; as Falco's falco.yaml: the plugins' suggested fields\n"
                      "(container_id=... container_name=...) are appended to alerts"),
    "metrics.interval": ("1h", "absent: 5000, which has no unit and is fatal once metrics are enabled"),
}

# What each top-level key is for (the per-key notes come from keys.c).
SECTIONS = {
    "config_files": "Extra configuration files or directories merged after this one, in order\n"
                    "(entries: PATH or {path: PATH, strategy: append|override|add-only}).",
    "watch_config_files": "Hot reload when this file, a merged file or a rules file changes\n"
                          "(SIGHUP / `systemctl reload saker` always reloads). docs/operations.md",
    "rules_files": "Rules files and directories, loaded in order; a directory gives its\n"
                   ".yaml/.yml files sorted by name. Put your rules in\n"
                   "/etc/saker/saker_rules.local.yaml or in /etc/saker/rules.d/, not in\n"
                   "saker_rules.yaml, which upgrades replace. Falco's files work unchanged.",
    "rules": "Enable or disable loaded rules by name glob or tag, in order, e.g.\n"
             "  rules:\n    - disable: {rule: 'Read sensitive file*'}\n    - enable: {tag: network}",
    "engine": "The event source: modern_ebpf (the live probe; kmod and ebpf are served\n"
              "by it too), replay (a .scap file), nodriver (plugins only).",
    "load_plugins": "Plugins to load by name (absent: every entry of `plugins`). Built in:\n"
                    "container (container and pod metadata), k8saudit, json, e.g.\n"
                    "  load_plugins: [container, k8saudit]\n"
                    "  plugins:\n    - name: k8saudit\n      open_params: \"http://:9765/k8s-audit\"",
    "plugins": "Plugin definitions: name, library_path, init_config, open_params.",
    "plugins_hostinfo": "Let plugins read host information.",
    "time_format_iso_8601": "Times in alerts and logs.",
    "priority": "Minimum priority of the rules loaded: emergency, alert, critical, error,\n"
                "warning, notice, informational (info), debug.",
    "json_output": "Alert format (docs/outputs.md).",
    "rule_matching": "first: one alert per event (the first matching rule); all: every match.",
    "outputs_queue": "Bound of the alert queue between the engine and the outputs.",
    "append_output": "Text and fields appended to the alerts of a source, tag or rule, e.g.\n"
                     "  append_output:\n    - suggested_output: true\n"
                     "    - match: {source: syscall}\n      extra_fields: [proc.exepath]",
    "static_fields": None,
    "stdout_output": "Output channels. Each alert goes to every enabled channel.",
    "file_output": "file_output.keep_alive keeps the file open (SIGUSR1 reopens it after a\n"
                   "log rotation).",
    "http_output": "Alerts POSTed as JSON; while the receiver is down they wait in order\n"
                   "(spool) and are delivered once it is back (docs/operations.md).",
    "program_output": "A shell command fed one alert per line.",
    "webserver": "Web server: /healthz, /versions, /metrics (docs/operations.md).",
    "log_stderr": "saker's own log lines (not alerts). log_syslog goes to the journal\n"
                  "under systemd.",
    "rules_rate_limit": None,
    "output_timeout": None,
    "syscall_event_timeouts": None,
    "syscall_event_drops": "What to do when the probe drops events: actions is a list of\n"
                           "ignore, log, alert, exit (absent: none, drops are only counted).",
    "metrics": "Metrics: /metrics (with webserver.prometheus_metrics_enabled), the\n"
               "snapshot alert (output_rule) and file (output_file).",
    "base_syscalls": "Syscalls the probe sends beyond those the rules need (custom_set),\n"
                     "repair (add what state tracking needs), all (every syscall).",
    "falco_libs": "State tables: bounds of the thread, fd, user and container tables (what\n"
                  "they refuse is counted in /metrics, docs/reliability.md), purging, bytes\n"
                  "of I/O captured.",
    "capture": "Write .scap captures around alerts (rules with capture: true, or all).",
}

# Keys not written: removed from Falco, or free-form with no default.
SKIP = {"grpc", "grpc_output", "outputs", "container_engines", "static_fields", "rules_file",
        "config_files", "rules", "plugins",
        "base_syscalls.custom_set", "syscall_event_drops.actions"}

ENTRY = re.compile(r'\{\s*"([^"]+)",\s*SK_CT_(\w+),\s*"((?:[^"\\]|\\.)*)",\s*(NOB|[^,]+,\s*[^,]+),'
                   r'\s*(NULL|"[^"]*"),\s*(NULL|"(?:[^"\\]|\\.)*"),\s*([^}]*?)\s*\}')


def keys():
    """(name, type, default, description) for every entry of keys.c."""
    return [k[:4] for k in _entries()]


def _entries():
    out = []
    for m in ENTRY.finditer(KEYS_C.read_text()):
        name, typ, dflt, _bounds, _enum, desc, member = m.groups()
        desc = "" if desc == "NULL" else desc[1:-1].replace('\\"', '"')
        out.append((name, typ, dflt.replace('\\"', '"'), desc, member))
    return out


def read_when_set():
    """String keys without a typed member: the program reads them by path and
    may act on their mere presence (webserver.k8s_audit_endpoint turns the
    audit route on, even set to its documented value), so they are written
    commented out, with the value they would take."""
    return {e[0] for e in _entries() if e[1] == "STRING" and e[4] == "0"}


def builtin_value(typ, text):
    """keys.c's default text as the YAML value it stands for."""
    if typ == "BOOL":
        return text == "true"
    if typ == "INT":
        return int(text)
    if typ == "DOUBLE":
        return float(text)
    return text


def scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(scalar(x) for x in v) + "]"
    if v == "" or re.search(r"[:#{}\[\],&*!|>'\"%@`]|^\s|\s$", v) or v in ("true", "false", "yes",
                                                                         "no", "on", "off", "null"):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return v


def comment(text, indent):
    return [f"{indent}# {l}".rstrip() for l in text.splitlines()]


def render(confdir="/etc/saker"):
    ks = [k for k in keys() if "[]" not in k[0]]
    children = {}
    for name, typ, dflt, desc in ks:
        parent = name.rsplit(".", 1)[0] if "." in name else ""
        children.setdefault(parent, []).append((name, typ, dflt, desc))
    lines = ["# /etc/saker/saker.yaml — saker's configuration (falco.yaml keys: a falco.yaml",
             "# works unchanged; `saker -c /etc/falco/falco.yaml` reads Falco's own file).",
             "#",
             "# Every key is written with the value saker uses when the key is absent,",
             "# except the few marked 'package:'; keys acted on only when present are",
             "# commented out. Generated from src/config/keys.c by",
             "# deploy/gen_saker_yaml.py. Keys: docs/configuration.md.",
             "# Apply a change: `systemctl reload saker` (rules, priority, outputs'",
             "# formats; keys read once at start say so in the log and need a restart).",
             ""]

    by_path = read_when_set()

    def emit(parent, depth):
        ind = "  " * depth
        for name, typ, dflt, desc in children.get(parent, []):
            documented = depth == 0 and SECTIONS.get(name)
            if documented:
                lines.append("")
                lines.extend(comment(SECTIONS[name], ind))
            if name in SKIP and not documented:
                continue
            short = name.rsplit(".", 1)[-1]
            if desc and not desc.startswith("(") and not documented:
                lines.extend(comment(desc, ind))
            if typ == "MAP":
                lines.append(f"{ind}{short}:")
                emit(name, depth + 1)
                continue
            if name in PACKAGE:
                value, why = PACKAGE[name]
                lines.extend(comment("package: " + why, ind))
                if isinstance(value, Raw):
                    lines.append(f"{ind}{short}:")
                    lines.extend(ind + l for l in value.splitlines())
                    continue
                if isinstance(value, list):
                    lines.append(f"{ind}{short}:")
                    lines.extend(f"{ind}  - {scalar(v)}" for v in value)
                    continue
                lines.append(f"{ind}{short}: {scalar(value)}")
                continue
            if typ in ("LIST", "ANY") or name in SKIP:
                continue
            mark = "# " if name in by_path else ""
            lines.append(f"{ind}{mark}{short}: {scalar(builtin_value(typ, dflt))}")

    emit("", 0)
    return "\n".join(lines).replace("/etc/saker/", confdir.rstrip("/") + "/") + "\n"


def main(argv):
    if not 1 <= len(argv) <= 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    text = render(*argv[1:2])
    out = pathlib.Path(argv[0])
    # written only when it changes, so the build does not reinstall it needlessly
    if not out.exists() or out.read_text() != text:
        out.write_text(text)


if __name__ == "__main__":
    main(sys.argv[1:])

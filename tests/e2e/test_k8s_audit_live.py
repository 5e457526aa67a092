"""The k8s_audit source while it runs (no root): audit events written to a
FIFO named by open_params file:// are evaluated as they arrive; SIGHUP swaps
in edited k8s_audit rules without losing the source; /metrics shows the
queue series; closing the FIFO ends the source and saker with it."""
import json
import os
import signal

from ops_common import Saker, get, web_args
from test_ops_reload import wait_for

RULE = """
- rule: {name}
  desc: audit reload test rule
  condition: ka.verb = create and ka.target.resource = pods
  output: "{name} %ka.user.name %evt.source"
  priority: WARNING
  source: k8s_audit
"""

CONF = """\
stdout_output:
  enabled: true
json_output: true
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    init_config: ""
    open_params: "file://{fifo}"
  - name: json
    library_path: libjson.so
    init_config: ""
load_plugins: [k8saudit, json]
"""


def event(user, i):
    return json.dumps({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": f"id-{i}",
                       "stage": "ResponseComplete", "verb": "create",
                       "user": {"username": user}, "objectRef": {"resource": "pods"},
                       "stageTimestamp": f"2024-01-01T00:00:{i:02d}.5Z"})


def test_fifo_reload_metrics(saker_bin, tmp_path):
    fifo = tmp_path / "audit.fifo"
    os.mkfifo(fifo)
    conf = tmp_path / "k8s.yaml"
    conf.write_text(CONF.format(fifo=fifo))
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULE.format(name="Rule A"))
    s = Saker(saker_bin, ["-c", str(conf), "-r", str(rules), "--enable-source=k8s_audit",
                          "-o", "watch_config_files=false", *web_args()], env={"TZ": "UTC"})
    w = None
    try:
        port = s.port()
        w = open(fifo, "w")  # the reader thread has the FIFO open once this returns
        w.write(event("alice", 1) + "\n")
        w.flush()
        wait_for(lambda: len(s.alerts()) == 1, what="the first alert")
        a = s.alerts()[0]
        assert a["rule"] == "Rule A" and a["source"] == "k8s_audit"
        assert a["output"] == "00:00:01.500000000: Warning Rule A alice k8s_audit"
        assert a["time"] == "2024-01-01T00:00:01.500000000Z"
        rules.write_text(RULE.format(name="Rule B"))
        s.p.send_signal(signal.SIGHUP)
        s.wait_log(r"Reload #1: new configuration and rules active")
        w.write(event("bob", 2) + "\n")
        w.flush()
        wait_for(lambda: len(s.alerts()) == 2, what="the alert after the reload")
        b = s.alerts()[1]
        assert b["rule"] == "Rule B" and b["output"].endswith(" Warning Rule B bob k8s_audit")
        body = get(f"http://127.0.0.1:{port}/metrics")[2]
        assert "saker_k8s_audit_events_total 2" in body
        assert "saker_k8s_audit_queue_dropped_total 0" in body
        assert "saker_k8s_audit_queue_capacity 4096" in body
        w.close()
        w = None
        s.p.wait(10)  # end of the file: the only source ended
        assert s.p.returncode == 0, "\n".join(s.log()[-20:])
        out = "\n".join(s.out)
        assert "Events detected: 2" in out
        # per-rule counts follow rule names across the reload: Rule A left
        assert "   Rule B: 1" in out and "Rule A:" not in out
    finally:
        if w:
            w.close()
        s.stop()

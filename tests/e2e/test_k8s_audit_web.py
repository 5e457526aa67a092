"""test_k8s_audit_web.py — the k8s audit webhook end to end: every audit
fixture (../shared/fixtures/k8s_audit, psp/ included) posted over real HTTP
(curl and Python) to a running saker with k8s_audit_rules.yaml, as single
Events, as EventLists and as arrays, with the rules the upstream regression
cases expect (suite final, default rules) firing once each and the three
forms agreeing; the same over HTTPS with certificates made at test time,
a bearer token and a client certificate; bad bodies (truncated, huge, deep
nesting, wrong types, invalid UTF-8, wrong method or content type) answered
4xx and counted on /metrics, never a crash or a stall; syscall alerts keep
flowing while audit events arrive (root + BTF, else that test skips).

Each posted event gets a unique auditID and saker appends ka.auditid to the
output fields (append_output), so alerts map back to what was posted."""
import collections
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
import uuid

import pytest

from ops_common import Saker, get

ROOT = os.path.dirname(os.path.abspath(__file__))
SUITE = "final"
DEFAULT_RULES = [f"regression/{SUITE}/default_rules/falco_rules.yaml",
                 f"regression/{SUITE}/default_rules/k8s_audit_rules.yaml"]
HOOK_RE = r"Starting k8s audit webhook on https?://[^:]+:(\d+)"
WEB_RE = r"Starting HTTPS? server on [^:]+:(\d+)"


# ---- fixtures and expectations ---------------------------------------------------

def load_events(path):
    """The Event objects of a fixture file (one JSON value, or JSON lines);
    None when it holds something else (fal_01_003.json: {"kind": 0})."""
    text = path.read_text()
    try:
        values = [json.loads(text)]
    except ValueError:
        values = [json.loads(x) for x in text.splitlines() if x.strip()]
    if not all(isinstance(v, dict) and v.get("kind") == "Event" for v in values):
        return None
    return values


def expectations(fixtures):
    """{fixture path relative to fixtures/: {rule: count}} from the k8s_audit
    cases of suite final that load only the default rules files; {} for a
    case that expects no alert."""
    cases = json.loads((fixtures / "regression" / "cases.json").read_text())["cases"]
    exp = {}
    for c in cases:
        if c["category"] != "k8s_audit" or c["suite"] != SUITE or c["rules_files"] != DEFAULT_RULES:
            continue
        e = c["expect"]
        d = exp.setdefault(c["input"]["path"], {})
        for rule, n in (e.get("detect_counts") or {}).items() if e.get("detect") else ():
            d[rule] = n
    return exp


@pytest.fixture(scope="module")
def corpus(fixtures):
    """[(relative path, [events])] of every audit fixture holding Events."""
    out = []
    for p in sorted((fixtures / "k8s_audit").rglob("*.json")):
        ev = load_events(p)
        if ev is not None:
            out.append((str(p.relative_to(fixtures)), ev))
    assert len(out) >= 70
    return out


def tagged(events, tag):
    """Copies of events with auditIDs tag:0, tag:1, ..."""
    out = []
    for i, e in enumerate(events):
        e = dict(e)
        e["auditID"] = f"{tag}:{i}"
        out.append(e)
    return out


def eventlist(events):
    return {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": events}


# ---- a running saker -----------------------------------------------------------------

CONF = """
engine: {kind: nodriver}
json_output: true
buffered_outputs: false
stdout_output: {enabled: true}
priority: debug
append_output:
  - match: {source: k8s_audit}
    extra_fields: [ka.auditid]
metrics: {enabled: true, interval: 1s}
"""
# Falco 0.2x's form, on a free loopback port
WEB02 = """
webserver:
  enabled: true
  listen_port: 0
  listen_address: 127.0.0.1
  k8s_audit_endpoint: /k8s_audit
  prometheus_metrics_enabled: true
"""


def start(saker_bin, fixtures, tmp, conf, rules=None, extra=()):
    cfg = tmp / f"saker-{uuid.uuid4().hex[:6]}.yaml"
    cfg.write_text(CONF + conf)
    rules = rules or [fixtures / DEFAULT_RULES[1]]
    args = ["-c", str(cfg)]
    for r in rules:
        args += ["-r", str(r)]
    return Saker(saker_bin, args + list(extra))


def metric(port, name, labels=""):
    _, _, text = get(f"http://127.0.0.1:{port}/metrics")
    m = re.search(r"^%s%s (\d+)$" % (re.escape(name), re.escape(labels)), text, re.M)
    return int(m.group(1)) if m else None


def wait_processed(sk, port, events, timeout=30):
    """Waits until the engine evaluated `events` events in all and every
    alert it raised was read from stdout; returns the alerts."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if metric(port, "saker_k8s_audit_events_total") == events:
            want = metric(port, "saker_k8s_audit_alerts_total")
            while time.monotonic() < end:
                got = [a for a in sk.alerts() if a.get("source") == "k8s_audit"]
                if len(got) >= want:
                    return got
                time.sleep(0.02)
        assert sk.p.poll() is None, "\n".join(sk.log()[-20:])
        time.sleep(0.05)
    raise AssertionError(f"saker did not process {events} audit events in {timeout}s: "
                         f"{metric(port, 'saker_k8s_audit_events_total')} evaluated, "
                         f"{metric(port, 'saker_k8s_audit_webhook_events_total')} queued")


def by_tag(alerts):
    """{tag prefix (auditID without the event index): Counter(rule)}"""
    out = collections.defaultdict(collections.Counter)
    for a in alerts:
        aid = a["output_fields"].get("ka.auditid") or ""
        out[aid.rsplit(":", 1)[0]][a["rule"]] += 1
    return out


@pytest.fixture(scope="module")
def web02(saker_bin, fixtures, tmp_path_factory):
    """saker with Falco 0.2x's webserver form: /k8s_audit, /healthz and
    /metrics on one port."""
    tmp = tmp_path_factory.mktemp("aw")
    sk = start(saker_bin, fixtures, tmp, WEB02 + "k8s_audit: {max_request_bytes: 4194304}\n")
    port = int(sk.wait_log(WEB_RE).group(1))
    hook = int(sk.wait_log(HOOK_RE).group(1))
    assert hook == port, "the 0.2x endpoint must share the web server's port"
    yield sk, port
    assert sk.stop() == 0, "\n".join(sk.log()[-20:])


# ---- posting ------------------------------------------------------------------------------

def post_curl(url, body, extra=(), ctype="application/json"):
    r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                        "-H", f"Content-Type: {ctype}", "--data-binary", "@-", *extra, url],
                       input=body.encode(), capture_output=True, timeout=30)
    return int(r.stdout or b"0")


def post_py(url, body, headers=None, context=None):
    req = urllib.request.Request(url, data=body if isinstance(body, bytes) else body.encode(),
                                 method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30, context=context) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def post_corpus(url, corpus, forms, run, **kw):
    """Posts every fixture in each form; returns (events posted, statuses)."""
    n, statuses = 0, collections.Counter()
    for form in forms:
        for i, (path, events) in enumerate(corpus):
            ev = tagged(events, f"{run}:{form}:{i}")
            if form == "single":  # curl, one POST per event
                for j, e in enumerate(ev):
                    e["auditID"] = f"{run}:{form}:{i}:{j}"
                    statuses[post_curl(url, json.dumps(e), kw.get("curl", ()))] += 1
            elif form == "eventlist":
                statuses[post_py(url, json.dumps(eventlist(ev)), kw.get("headers"),
                                 kw.get("context"))] += 1
            else:  # a JSON array
                statuses[post_py(url, json.dumps(ev), kw.get("headers"), kw.get("context"))] += 1
            n += len(ev)
    return n, statuses


def check_alerts(alerts, corpus, exp, forms, run):
    """Every fixture: the expected rules fire exactly as often as the
    regression cases say, in every form, and the forms agree."""
    got = by_tag(alerts)
    checked = 0
    for i, (path, events) in enumerate(corpus):
        counts = [got.get(f"{run}:{form}:{i}", collections.Counter()) for form in forms]
        for form, c in zip(forms, counts):
            assert c == counts[0], f"{path}: {form} gives {dict(c)}, {forms[0]} {dict(counts[0])}"
        if path in exp:
            checked += 1
            if not exp[path]:
                assert not counts[0], f"{path}: expected no alert, got {dict(counts[0])}"
            for rule, n in exp[path].items():
                assert counts[0][rule] == n, f"{path}: {rule} fired {counts[0][rule]}x, want {n}"
    assert checked == len([p for p, _ in corpus if p in exp])
    return checked


def test_fixtures_over_http(web02, corpus, fixtures):
    sk, port = web02
    exp = expectations(fixtures)
    assert len(exp) >= 25
    forms = ("single", "eventlist", "array")
    before = metric(port, "saker_k8s_audit_events_total")
    n, statuses = post_corpus(f"http://127.0.0.1:{port}/k8s_audit", corpus, forms, "http")
    assert set(statuses) == {200}, statuses
    alerts = wait_processed(sk, port, before + n)
    assert check_alerts(alerts, corpus, exp, forms, "http") >= 25
    assert metric(port, "saker_k8s_audit_webhook_events_total") >= n


# ---- bad bodies ------------------------------------------------------------------------------

def raw(port, head, body=b"", read_first=False):
    """Sends a raw request; returns (status, socket error or None). With
    read_first the answer is read before any body byte is sent."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    err = None
    try:
        s.sendall(head)
        if read_first:
            resp = s.recv(4096)
        else:
            try:
                s.sendall(body)
            except OSError as e:
                err = e
            resp = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                resp += chunk
    finally:
        s.close()
    m = re.match(rb"HTTP/1\.[01] (\d+)", resp)
    return (int(m.group(1)) if m else None), err


def test_bad_bodies(web02, fixtures):
    sk, port = web02
    url = f"http://127.0.0.1:{port}/k8s_audit"
    good = (fixtures / "k8s_audit" / "create_nginx_pod_privileged.json").read_bytes().strip()
    before = {r: metric(port, "saker_k8s_audit_webhook_rejected_total", '{reason="%s"}' % r)
              for r in ("method", "content_type", "too_large", "bad_json")}
    bad_json = [good[: len(good) // 2],                       # truncated
                b"[" * 100000 + b"]" * 100000,                # deep nesting
                b'{"kind": 0}', b'{"kind": ["Event"]}', b'"Event"', b"[1, 2]", b"null",
                b'{"kind": "EventList", "items": [1]}',       # wrong types
                good.replace(b'"nginx"', b'"ngi\xff\xfenx"'),  # invalid UTF-8
                b"\x00\x01\x02", b"{" + b'"a":1,' * 1000,
                (fixtures / "k8s_audit" / "fal_01_003.json").read_bytes()]
    for body in bad_json:
        assert post_py(url, body) == 400, body[:60]
    assert post_curl(url, "{\"kind\":") == 400
    # wrong method and content type
    for m in ("GET", "PUT", "DELETE"):
        req = urllib.request.Request(url, data=good if m != "GET" else None, method=m)
        try:
            urllib.request.urlopen(req, timeout=10)
            status = 200
        except urllib.error.HTTPError as e:
            status = e.code
            assert m == "GET" or e.headers.get("Allow") == "POST"
        assert status == 405, m
    assert post_py(url, good, {"Content-Type": "text/plain"}) == 415
    assert post_curl(url, good.decode(), ctype="application/x-www-form-urlencoded") == 415
    # huge: declared (answered before the body is sent) and streamed chunked
    st, _ = raw(port, b"POST /k8s_audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1073741824\r\n\r\n", read_first=True)
    assert st == 413
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    st, _ = raw(port, b"POST /k8s_audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n", chunk * 80 + b"0\r\n\r\n")
    assert st == 413
    assert post_curl(url, "[" + ",".join([good.decode()] * 1400) + "]") == 413  # > 4 MiB
    after = {r: metric(port, "saker_k8s_audit_webhook_rejected_total", '{reason="%s"}' % r)
             for r in before}
    assert after["bad_json"] - before["bad_json"] == len(bad_json) + 1
    assert after["method"] - before["method"] == 3
    assert after["content_type"] - before["content_type"] == 2
    assert after["too_large"] - before["too_large"] == 3
    # still serving, healthy, and a good body goes through
    assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200
    assert post_py(url, good) == 200
    assert sk.p.poll() is None


def test_idle_connections_do_not_stall(web02, fixtures):
    """Clients that open connections and send half a request hold no
    worker: a good request is still answered at once."""
    sk, port = web02
    url = f"http://127.0.0.1:{port}/k8s_audit"
    good = (fixtures / "k8s_audit" / "create_nginx_pod_privileged.json").read_bytes()
    idle = []
    try:
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"POST /k8s_audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{")
            idle.append(s)
        t0 = time.monotonic()
        assert post_py(url, good) == 200
        assert time.monotonic() - t0 < 2.0
    finally:
        for s in idle:
            s.close()


def test_queue_full(saker_bin, fixtures, corpus, tmp_path):
    """A body that does not fit in the queue gets 503 and nothing of it is
    queued; one that fits is taken."""
    sk = start(saker_bin, fixtures, tmp_path, WEB02 + "k8s_audit: {queue_capacity: 5}\n")
    try:
        port = int(sk.wait_log(WEB_RE).group(1))
        url = f"http://127.0.0.1:{port}/k8s_audit"
        ev = [e for _, evs in corpus for e in evs]
        assert post_py(url, json.dumps(eventlist(tagged(ev[:6], "big")))) == 503
        assert post_py(url, json.dumps(eventlist(tagged(ev[:5], "fits")))) == 200
        assert metric(port, "saker_k8s_audit_webhook_rejected_total", '{reason="queue_full"}') == 1
        wait_processed(sk, port, 5)
        assert not [a for a in sk.alerts()
                    if a["output_fields"].get("ka.auditid", "").startswith("big")]
    finally:
        assert sk.stop() == 0, "\n".join(sk.log()[-20:])


@pytest.mark.parametrize("opt,msg", [
    ("k8s_audit.queue_capacity=0", "k8s_audit.queue_capacity: want a positive integer"),
    ("k8s_audit.max_request_bytes=abc", "k8s_audit.max_request_bytes: want a positive integer"),
    ("webserver.k8s_audit_endpoint=noslash", "'noslash' must start with /"),
    ("k8s_audit.bearer_token_file=/nonexistent/token", "cannot read k8s_audit.bearer_token_file"),
    ("k8s_audit.client_ca=/nonexistent/ca.pem", "needs client certificates"),
])
def test_bad_config(saker_bin, fixtures, opt, msg):
    """A bad webhook setting stops saker at start-up with a message naming it."""
    r = subprocess.run([saker_bin, "-o", "engine.kind=nodriver", "-o", "log_stderr=true",
                        "-o", "log_syslog=false", "-o", "webserver.enabled=true",
                        "-o", "webserver.listen_port=0", "-o", "webserver.listen_address=127.0.0.1",
                        "-o", "webserver.k8s_audit_endpoint=/k8s_audit", "-o", opt,
                        "-r", str(fixtures / DEFAULT_RULES[1]), "-M", "5"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r.stderr
    assert msg in r.stdout + r.stderr


# ---- HTTPS, bearer token, client certificate ----------------------------------------------------

def make_certs(tmp):
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    k = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]

    def ossl(*a):
        subprocess.run(["openssl", *a], cwd=tmp, check=True, capture_output=True)
    ossl("req", "-x509", *k, "-subj", "/CN=test-ca", "-keyout", "ca.key", "-out", "ca.pem")
    ossl("req", "-x509", *k, "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", "srv.key", "-out", "srv.crt")
    (tmp / "falco.pem").write_text((tmp / "srv.crt").read_text() + (tmp / "srv.key").read_text())
    ossl("req", *k, "-subj", "/CN=kube-apiserver", "-keyout", "cli.key", "-out", "cli.csr")
    ossl("x509", "-req", "-in", "cli.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-days", "1", "-out", "cli.crt")
    ossl("req", "-x509", *k, "-subj", "/CN=rogue", "-keyout", "rogue.key", "-out", "rogue.crt")
    (tmp / "token").write_text("audit-" + uuid.uuid4().hex + "\n")


def tls_ctx(tmp, cert=None):
    ctx = ssl.create_default_context(cafile=str(tmp / "srv.crt"))
    ctx.check_hostname = False
    if cert:
        ctx.load_cert_chain(str(tmp / f"{cert}.crt"), str(tmp / f"{cert}.key"))
    return ctx


def test_fixtures_over_https_with_auth(saker_bin, fixtures, corpus, tmp_path):
    make_certs(tmp_path)
    token = (tmp_path / "token").read_text().strip()
    sk = start(saker_bin, fixtures, tmp_path, f"""
load_plugins: [k8saudit, json]
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    init_config:
      sslCertificate: {tmp_path}/falco.pem
    open_params: "https://127.0.0.1:0/k8s-audit"
  - name: json
    library_path: libjson.so
k8s_audit:
  bearer_token_file: {tmp_path}/token
  client_ca: {tmp_path}/ca.pem
webserver: {{enabled: true, listen_port: 0, listen_address: 127.0.0.1, prometheus_metrics_enabled: true}}
""")
    try:
        web = int(sk.wait_log(WEB_RE).group(1))
        port = int(sk.wait_log(HOOK_RE).group(1))
        assert port != web
        url = f"https://127.0.0.1:{port}/k8s-audit"
        good = (fixtures / "k8s_audit" / "exec_pod.json").read_bytes()
        auth = {"Authorization": f"Bearer {token}"}
        assert post_py(url, good, auth, tls_ctx(tmp_path)) == 401          # no certificate
        assert post_py(url, good, auth, tls_ctx(tmp_path, "rogue")) == 403  # not from the CA
        assert post_py(url, good, None, tls_ctx(tmp_path, "cli")) == 401    # no token
        assert post_py(url, good, {"Authorization": "Bearer nope"}, tls_ctx(tmp_path, "cli")) == 403
        curl = ["--cacert", str(tmp_path / "srv.crt"), "--cert", str(tmp_path / "cli.crt"),
                "--key", str(tmp_path / "cli.key"), "-H", f"Authorization: Bearer {token}"]
        assert post_curl(url, good.decode(), curl) == 200
        assert post_curl(url.replace("https", "http"), good.decode(), curl) != 200
        assert metric(web, "saker_k8s_audit_webhook_rejected_total", '{reason="unauthorized"}') == 4
        forms = ("eventlist", "array")
        n, statuses = post_corpus(url, corpus, forms, "https", headers=auth,
                                  context=tls_ctx(tmp_path, "cli"))
        assert set(statuses) == {200}, statuses
        alerts = wait_processed(sk, web, n + 1)
        exp = expectations(fixtures)
        assert check_alerts(alerts, corpus, exp, forms, "https") >= 25
    finally:
        assert sk.stop() == 0, "\n".join(sk.log()[-20:])


def test_webserver_form_tls_one_port(saker_bin, fixtures, tmp_path):
    """Falco 0.2x's form with ssl_enabled and saker's client_ca: one HTTPS
    port; /healthz needs no client certificate, /k8s_audit does."""
    make_certs(tmp_path)
    sk = start(saker_bin, fixtures, tmp_path, WEB02 + f"""
  ssl_enabled: true
  ssl_certificate: {tmp_path}/falco.pem
k8s_audit:
  client_ca: {tmp_path}/ca.pem
""")
    try:
        port = int(sk.wait_log(WEB_RE).group(1))
        assert int(sk.wait_log(HOOK_RE).group(1)) == port
        base = f"https://127.0.0.1:{port}"
        assert get(base + "/healthz", context=tls_ctx(tmp_path))[0] == 200
        good = (fixtures / "k8s_audit" / "exec_pod.json").read_bytes()
        assert post_py(base + "/k8s_audit", good, None, tls_ctx(tmp_path)) == 401
        assert post_py(base + "/k8s_audit", good, None, tls_ctx(tmp_path, "cli")) == 200
        end = time.monotonic() + 10
        while time.monotonic() < end and not any(a.get("rule") == "Attach/Exec Pod"
                                                 for a in sk.alerts()):
            time.sleep(0.05)
        assert any(a.get("rule") == "Attach/Exec Pod" for a in sk.alerts())
    finally:
        assert sk.stop() == 0, "\n".join(sk.log()[-20:])


# ---- both sources at once ---------------------------------------------------------------------------

def test_syscall_alerts_flow_with_audit(saker_bin, fixtures, corpus, tmp_path):
    if os.geteuid() != 0 or not os.path.exists("/sys/kernel/btf/vmlinux"):
        pytest.skip("live capture needs root and kernel BTF (/sys/kernel/btf/vmlinux)")
    cfg = tmp_path / "both.yaml"
    cfg.write_text("""
engine: {kind: modern_ebpf}
json_output: true
buffered_outputs: false
stdout_output: {enabled: true}
priority: debug
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    open_params: "http://127.0.0.1:0/k8s-audit"
  - name: json
    library_path: libjson.so
load_plugins: [k8saudit, json]
""")
    live_rules = os.path.join(ROOT, "data", "live_rules.yaml")
    sk = Saker(saker_bin, ["-c", str(cfg), "-r", live_rules, "-r",
                           str(fixtures / DEFAULT_RULES[1])])
    try:
        try:
            port = int(sk.wait_log(HOOK_RE, timeout=60).group(1))
        except AssertionError:
            log = "\n".join(sk.log())
            if "BTF" in log or "root" in log or "probe" in log:
                pytest.skip("the probe does not load here: " + log.splitlines()[-1])
            raise
        url = f"http://127.0.0.1:{port}/k8s-audit"
        stop = threading.Event()
        posted = [0]

        def poster():
            i = 0
            while not stop.is_set():
                ev = tagged(corpus[i % len(corpus)][1], f"both:{i}")
                assert post_py(url, json.dumps(eventlist(ev))) == 200
                posted[0] += len(ev)
                i += 1
        t = threading.Thread(target=poster, daemon=True)
        t.start()
        paths = []
        end = time.monotonic() + 60
        while time.monotonic() < end:
            p = f"/tmp/saker-e2e-ready-{uuid.uuid4().hex}"
            with open(p, "w"):
                pass
            os.unlink(p)
            paths.append(p)
            sys_alerts = {a["output_fields"].get("fd.name") for a in sk.alerts()
                          if a.get("rule") == "E2E Ready"}
            audit = [a for a in sk.alerts() if a.get("source") == "k8s_audit"]
            if len(sys_alerts & set(paths)) >= 20 and len(audit) >= 100:
                break
            time.sleep(0.05)
        stop.set()
        t.join(30)
        assert len(sys_alerts & set(paths)) >= 20, "syscall alerts stopped while audit events arrived"
        assert len(audit) >= 100 and posted[0] > 0
    finally:
        sk.stop()

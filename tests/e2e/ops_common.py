"""ops_common.py — helpers for the operations e2e tests (test_ops*.py): a
running saker whose stderr log and stdout alerts are collected by threads,
the web server's port taken from its log line (listen_port 0 = any free
port), and small HTTP helpers over loopback."""
import json
import os
import re
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request

PORT_RE = re.compile(r"Starting HTTPS? server on [^:]+:(\d+)")
RELOAD_RE = re.compile(r"Reload #(\d+): new configuration and rules active \(([\d.]+) ms")


class Saker:
    """`saker ARGS` with stdout lines and stderr lines collected."""

    def __init__(self, saker_bin, args, env=None):
        e = dict(os.environ)
        e.update(env or {})
        self.p = subprocess.Popen([saker_bin, "-o", "log_syslog=false", "-o", "log_stderr=true",
                                   *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, text=True, env=e)
        self.out, self.err = [], []
        self.lock = threading.Lock()
        for stream, sink in ((self.p.stdout, self.out), (self.p.stderr, self.err)):
            threading.Thread(target=self._read, args=(stream, sink), daemon=True).start()

    def _read(self, stream, sink):
        for line in stream:
            with self.lock:
                sink.append(line.rstrip("\n"))

    def log(self):
        with self.lock:
            return list(self.err)

    def alerts(self):
        with self.lock:
            lines = list(self.out)
        return [json.loads(x) for x in lines if x.startswith("{")]

    def wait_log(self, pattern, timeout=10.0, count=1):
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            hits = [m for m in (rx.search(x) for x in self.log()) if m]
            if len(hits) >= count:
                return hits[count - 1]
            if self.p.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"no log line /{pattern}/ x{count} in {timeout}s:\n" +
                             "\n".join(self.log()[-30:]))

    def port(self):
        return int(self.wait_log(PORT_RE.pattern).group(1))

    def reloads(self):
        return [(int(m.group(1)), float(m.group(2)))
                for m in (RELOAD_RE.search(x) for x in self.log()) if m]

    def stop(self, timeout=20):
        if self.p.poll() is None:
            self.p.terminate()
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        time.sleep(0.05)
        return self.p.returncode


def web_args(port=0, metrics=True, extra=()):
    a = ["-o", "webserver.enabled=true", "-o", f"webserver.listen_port={port}",
         "-o", "webserver.listen_address=127.0.0.1"]
    if metrics:
        a += ["-o", "metrics.enabled=true", "-o", "webserver.prometheus_metrics_enabled=true",
              "-o", "metrics.interval=1s"]
    return a + list(extra)


def get(url, timeout=5, context=None):
    """(status, content-type, body text) of GET url; HTTP errors included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def tls_context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    return ctx


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

"""k8s_schema.py — checks rendered manifests against the Kubernetes API
fields they use (no API server or schema checker is installable here:
kubectl --validate needs a server, kubeconform is not in Debian). Each kind
lists its fields with their types, as in the Kubernetes 1.29 OpenAPI
schema: an unknown field, a wrong type, a bad enum value or a missing
required field is an error. Only the fields saker's manifests may use are
listed, so a new field must be added here (with its real type) first.
"""
import re

STR, INT, BOOL = "str", "int", "bool"
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
STRMAP = ("map", STR)


def enum(*vals):
    return ("enum", set(vals))


def req(t):
    return ("required", t)


INT_OR_STR = ("intorstr",)
QTY = ("quantity",)
LABELS = STRMAP

META = {"name": req(STR), "namespace": STR, "labels": LABELS, "annotations": STRMAP,
        "creationTimestamp": "any"}  # kubectl --dry-run writes null
ENV = {"name": req(STR), "value": STR,
       "valueFrom": {"fieldRef": {"fieldPath": req(STR), "apiVersion": STR}}}
PROBE = {"httpGet": {"path": STR, "port": req(INT_OR_STR), "scheme": enum("HTTP", "HTTPS")},
         "initialDelaySeconds": INT, "periodSeconds": INT, "timeoutSeconds": INT,
         "failureThreshold": INT, "successThreshold": INT}
CAPS = enum("BPF", "PERFMON", "SYS_PTRACE", "DAC_READ_SEARCH", "SYS_ADMIN", "SYS_RESOURCE",
            "DAC_OVERRIDE", "ALL", "CHOWN", "NET_ADMIN", "IPC_LOCK")
CONTAINER = {
    "name": req(STR), "image": req(STR), "imagePullPolicy": enum("Always", "IfNotPresent", "Never"),
    "args": [STR], "command": [STR], "env": [ENV],
    "securityContext": {"privileged": BOOL, "allowPrivilegeEscalation": BOOL,
                        "readOnlyRootFilesystem": BOOL, "runAsUser": INT, "runAsNonRoot": BOOL,
                        "capabilities": {"add": [CAPS], "drop": [CAPS]},
                        "seccompProfile": {"type": req(enum("Unconfined", "RuntimeDefault",
                                                            "Localhost")),
                                           "localhostProfile": STR}},
    "resources": {"requests": ("map", QTY), "limits": ("map", QTY)},
    "ports": [{"name": STR, "containerPort": req(INT), "protocol": enum("TCP", "UDP", "SCTP"),
               "hostPort": INT}],
    "startupProbe": PROBE, "livenessProbe": PROBE, "readinessProbe": PROBE,
    "volumeMounts": [{"name": req(STR), "mountPath": req(STR), "readOnly": BOOL, "subPath": STR}],
}
VOLUME = {"name": req(STR),
          "configMap": {"name": STR, "items": [{"key": req(STR), "path": req(STR)}],
                        "defaultMode": INT},
          "hostPath": {"path": req(STR), "type": enum("", "DirectoryOrCreate", "Directory",
                                                      "FileOrCreate", "File", "Socket",
                                                      "CharDevice", "BlockDevice")},
          "emptyDir": {"medium": STR, "sizeLimit": QTY}}
POD_SPEC = {
    "serviceAccountName": STR, "automountServiceAccountToken": BOOL, "hostPID": BOOL,
    "hostNetwork": BOOL, "priorityClassName": STR, "imagePullSecrets": [{"name": STR}],
    "tolerations": [{"key": STR, "operator": enum("Exists", "Equal"), "value": STR,
                     "effect": enum("NoSchedule", "PreferNoSchedule", "NoExecute"),
                     "tolerationSeconds": INT}],
    "nodeSelector": STRMAP, "affinity": ("map", "any"),
    "containers": req([CONTAINER]), "volumes": [VOLUME],
}
KINDS = {
    ("v1", "ServiceAccount"): {"metadata": req(META), "automountServiceAccountToken": BOOL},
    ("v1", "Namespace"): {"metadata": req(META)},
    ("v1", "ConfigMap"): {"metadata": req(META), "data": STRMAP},
    ("v1", "Pod"): {"metadata": req(META), "spec": req(POD_SPEC)},
    ("apps/v1", "DaemonSet"): {"metadata": req(META), "spec": req({
        "selector": req({"matchLabels": LABELS}),
        "updateStrategy": {"type": enum("RollingUpdate", "OnDelete"),
                           "rollingUpdate": {"maxUnavailable": INT_OR_STR}},
        "template": req({"metadata": {"labels": LABELS, "annotations": STRMAP},
                         "spec": req(POD_SPEC)})})},
    ("v1", "Service"): {"metadata": req(META), "spec": req({
        "type": enum("ClusterIP", "NodePort", "LoadBalancer"), "selector": LABELS,
        "ports": req([{"name": STR, "port": req(INT), "targetPort": INT_OR_STR,
                       "protocol": enum("TCP", "UDP", "SCTP")}])})},
    ("monitoring.coreos.com/v1", "ServiceMonitor"): {"metadata": req(META), "spec": req({
        "selector": req({"matchLabels": LABELS}),
        "namespaceSelector": {"matchNames": [STR]},
        "endpoints": req([{"port": STR, "path": STR, "interval": STR}])})},
}


def _check(v, t, path, errs):
    if isinstance(t, tuple) and t[0] == "required":
        t = t[1]
    if t == "any":
        return
    if t == STR:
        ok = isinstance(v, str)
    elif t == INT:
        ok = isinstance(v, int) and not isinstance(v, bool)
    elif t == BOOL:
        ok = isinstance(v, bool)
    elif isinstance(t, tuple) and t[0] == "intorstr":
        ok = isinstance(v, (int, str)) and not isinstance(v, bool)
    elif isinstance(t, tuple) and t[0] == "quantity":
        ok = isinstance(v, (int, str)) and bool(QUANTITY.match(str(v)))
    elif isinstance(t, tuple) and t[0] == "enum":
        ok = v in t[1]
    elif isinstance(t, tuple) and t[0] == "map" or isinstance(t, list):
        # a map of one value type, or a list of one item type
        want, items = (dict, lambda: ((f".{k}", x) for k, x in v.items())) \
            if isinstance(t, tuple) else (list, lambda: ((f"[{i}]", x) for i, x in enumerate(v)))
        item_type = t[1] if isinstance(t, tuple) else t[0]
        if not isinstance(v, want):
            errs.append(f"{path}: expected a {want.__name__}, got {type(v).__name__}")
            return
        for sub, x in items():
            _check(x, item_type, path + sub, errs)
        return
    elif isinstance(t, dict):
        if not isinstance(v, dict):
            errs.append(f"{path}: expected an object, got {type(v).__name__}")
            return
        for k, x in v.items():
            if k not in t:
                errs.append(f"{path}.{k}: unknown field")
            else:
                _check(x, t[k], f"{path}.{k}", errs)
        for k, x in t.items():
            if isinstance(x, tuple) and x[0] == "required" and k not in v:
                errs.append(f"{path}.{k}: required field missing")
        return
    else:
        raise ValueError(f"bad schema type {t!r}")
    if not ok:
        errs.append(f"{path}: {v!r} is not a valid {t[0] if isinstance(t, tuple) else t}")


def _extra(doc, errs):
    """Cross-field rules the API server enforces on what we use."""
    name = doc.get("metadata", {}).get("name", "")
    if not DNS_LABEL.match(name) or len(name) > 63:
        errs.append(f"metadata.name {name!r} is not a DNS label")
    spec = doc.get("spec", {})
    pod = spec.get("template", {}).get("spec") if doc["kind"] == "DaemonSet" else \
        spec if doc["kind"] == "Pod" else None
    if doc["kind"] == "DaemonSet":
        sel = spec.get("selector", {}).get("matchLabels", {})
        labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
        if any(labels.get(k) != v for k, v in sel.items()):
            errs.append("spec.selector does not match the template's labels")
    if pod:
        vols = {v["name"] for v in pod.get("volumes", [])}
        for c in pod.get("containers", []):
            ports = {p.get("name") for p in c.get("ports", [])}
            for m in c.get("volumeMounts", []):
                if m["name"] not in vols:
                    errs.append(f"container {c['name']}: volumeMount {m['name']} has no volume")
            for pr in ("startupProbe", "livenessProbe", "readinessProbe"):
                port = c.get(pr, {}).get("httpGet", {}).get("port")
                if isinstance(port, str) and port not in ports:
                    errs.append(f"container {c['name']}: {pr} port {port} is not a named port")
        for v in pod.get("volumes", []):
            if sum(k in v for k in ("configMap", "hostPath", "emptyDir")) != 1:
                errs.append(f"volume {v['name']}: exactly one source is needed")


def validate(doc):
    """Errors (strings) of one manifest; [] when it is valid."""
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key not in KINDS:
        return [f"unknown apiVersion/kind {key}"]
    errs = []
    body = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind")}
    _check(body, KINDS[key], doc["kind"], errs)
    if not errs:
        _extra(doc, errs)
    return errs

{{/* Names and labels shared by the templates. */}}
{{- define "saker.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}{{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{ end }}
{{- end }}

{{- define "saker.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "saker.labels" -}}
{{ include "saker.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "saker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}{{ default (include "saker.fullname" .) .Values.serviceAccount.name }}
{{- else }}{{ default "default" .Values.serviceAccount.name }}{{ end }}
{{- end }}

{{/* saker.yaml, from the values (config: merged last). */}}
{{- define "saker.config" -}}
{{- $rules := list -}}
{{- if .Values.rules.default }}{{ $rules = append $rules "/etc/saker/saker_rules.yaml" }}{{ end -}}
{{- range $name, $_ := .Values.rules.custom }}{{ $rules = append $rules (printf "/etc/saker/config/%s" $name) }}{{ end -}}
{{- $plugins := list -}}
{{- $pluginDefs := list -}}
{{- if .Values.containerMetadata.enabled -}}
{{- $plugins = append $plugins "container" -}}
{{- $pluginDefs = append $pluginDefs (dict "name" "container") -}}
{{- end -}}
{{- if .Values.auditWebhook.enabled -}}
{{- $plugins = concat $plugins (list "k8saudit" "json") -}}
{{- $pluginDefs = append $pluginDefs (dict "name" "k8saudit" "open_params" (printf "http://:%d%s" (int .Values.auditWebhook.port) .Values.auditWebhook.path)) -}}
{{- $pluginDefs = append $pluginDefs (dict "name" "json") -}}
{{- end -}}
{{- $c := dict
  "engine" (dict "kind" .Values.driver.kind "modern_ebpf" (dict "buf_size_preset" (int .Values.driver.bufSizePreset)))
  "rules_files" $rules
  "priority" .Values.outputs.priority
  "json_output" .Values.outputs.json
  "json_include_output_property" true
  "json_include_tags_property" true
  "stdout_output" (dict "enabled" .Values.outputs.stdout)
  "http_output" (dict "enabled" .Values.outputs.http.enabled "url" .Values.outputs.http.url)
  "log_stderr" true
  "log_syslog" false
  "webserver" (dict "enabled" true "listen_port" (int .Values.webserver.port) "k8s_healthz_endpoint" "/healthz" "prometheus_metrics_enabled" .Values.metrics.enabled)
  "metrics" (dict "enabled" .Values.metrics.enabled "interval" .Values.metrics.interval)
  "load_plugins" $plugins
  "append_output" (list (dict "suggested_output" true))
-}}
{{- if .Values.auditWebhook.enabled }}{{ $_ := set $c "plugins" $pluginDefs }}{{ end -}}
{{- toYaml (mustMergeOverwrite $c (deepCopy .Values.config)) -}}
{{- end }}

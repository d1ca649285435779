{{- define "l1net.name" -}}l1net{{- end -}}

{{- define "l1net.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "l1net.labels" -}}
app.kubernetes.io/name: l1net
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* selector labels for one component: include "l1net.selector" (list . "controller") */}}
{{- define "l1net.selector" -}}
app.kubernetes.io/name: l1net
app.kubernetes.io/instance: {{ (index . 0).Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "l1net.meshSecret" -}}
{{ .Values.mesh.existingSecret | default (printf "%s-mesh-key" .Release.Name) }}
{{- end -}}

{{- define "l1net.piholeSecret" -}}
{{ .Values.dnsd.pihole.existingSecret | default (printf "%s-pihole" .Release.Name) }}
{{- end -}}

{{/* Pod-level hardening shared by the three daemons. */}}
{{- define "l1net.podSecurity" -}}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

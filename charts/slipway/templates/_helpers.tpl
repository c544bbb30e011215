{{/* Names and labels shared by every template. */}}

{{- define "slipway.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "slipway.selectorLabels" -}}
app.kubernetes.io/name: slipway
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "slipway.labels" -}}
{{ include "slipway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "slipway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "slipway.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Service the API server calls the webhook through (also passed as --webhook-service). */}}
{{- define "slipway.webhookService" -}}
{{- printf "%s-webhook" (include "slipway.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "slipway.certSecret" -}}
{{- if .Values.webhook.certManager.enabled -}}
{{- printf "%s-webhook-tls" (include "slipway.fullname" .) -}}
{{- else -}}
slipway-webhook-certs
{{- end -}}
{{- end -}}

{{- define "slipway.watchNamespace" -}}
{{- if gt (len .Values.watchNamespaces) 1 -}}
{{- fail "watchNamespaces: the controller watches one namespace or all of them; list at most one" -}}
{{- end -}}
{{- first .Values.watchNamespaces | default "" -}}
{{- end -}}

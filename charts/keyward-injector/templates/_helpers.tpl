{{/* The chart's name, at most 63 characters. */}}
{{- define "keyward-injector.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's object names: the release name, or release-chart when they differ. */}}
{{- define "keyward-injector.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "keyward-injector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "keyward-injector.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "keyward-injector.labels" -}}
{{ include "keyward-injector.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: webhook
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "keyward-injector.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "keyward-injector.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The chart's image: repository@digest, else repository:tag (tag defaults to appVersion). */}}
{{- define "keyward-injector.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "keyward-injector.agentImage" -}}
{{- default (include "keyward-injector.image" .) .Values.agent.image }}
{{- end }}

{{- define "keyward-injector.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "keyward-injector.fullname" .)) .Values.tls.secretName }}
{{- end }}

{{/* tls.caBundle as the webhook wants it: base64 of the PEM (a PEM value is encoded here). */}}
{{- define "keyward-injector.caBundle" -}}
{{- $ca := trim .Values.tls.caBundle }}
{{- if hasPrefix "-----BEGIN" $ca }}
{{- printf "%s\n" $ca | b64enc }}
{{- else }}
{{- $ca }}
{{- end }}
{{- end }}

{{/* Namespaces never sent to the webhook: the release's own, kube-system and webhook.excludeNamespaces. */}}
{{- define "keyward-injector.excludedNamespaces" -}}
{{- concat (list .Release.Namespace "kube-system") .Values.webhook.excludeNamespaces | uniq | toJson }}
{{- end }}

{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "telemetry-api.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; app resources append "-<app>", so keep room for it. */}}
{{- define "telemetry-api.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "telemetry-api.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "telemetry-api.labels" -}}
helm.sh/chart: {{ include "telemetry-api.chart" . }}
app.kubernetes.io/name: {{ include "telemetry-api.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: telemetry-api
{{- end }}

{{/* Selector labels of one app: (dict "root" $ "app" "<name>"). */}}
{{- define "telemetry-api.selectorLabels" -}}
app.kubernetes.io/name: {{ include "telemetry-api.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .app }}
{{- end }}

{{/* Labels of one app's resources: (dict "root" $ "app" "<name>"). */}}
{{- define "telemetry-api.appLabels" -}}
{{ include "telemetry-api.labels" .root }}
app.kubernetes.io/component: {{ .app }}
{{- end }}

{{/* Name of one app's resources: (dict "root" $ "app" "<name>"). */}}
{{- define "telemetry-api.appFullname" -}}
{{- printf "%s-%s" (include "telemetry-api.fullname" .root) .app | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "telemetry-api.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}

{{- define "telemetry-api.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "telemetry-api.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret the API key comes from. */}}
{{- define "telemetry-api.apiKeySecretName" -}}
{{- .Values.apiKey.existingSecret | default (include "telemetry-api.fullname" .) }}
{{- end }}

{{- define "telemetry-api.apiKeySecretKey" -}}
{{- if .Values.apiKey.existingSecret }}{{ .Values.apiKey.existingSecretKey }}{{ else }}api-key{{ end }}
{{- end }}

{{/* The Secret DATABASE_URL comes from. */}}
{{- define "telemetry-api.databaseSecretName" -}}
{{- .Values.database.existingSecret | default (include "telemetry-api.fullname" .) }}
{{- end }}

{{- define "telemetry-api.databaseSecretKey" -}}
{{- if .Values.database.existingSecret }}{{ .Values.database.existingSecretKey }}{{ else }}database-url{{ end }}
{{- end }}

{{/* True (non-empty) when the chart creates its own Secret. */}}
{{- define "telemetry-api.createSecret" -}}
{{- if or (not .Values.apiKey.existingSecret) (not .Values.database.existingSecret) }}true{{ end }}
{{- end }}

{{/* The ConfigMap the threat list comes from; empty when there is none. */}}
{{- define "telemetry-api.threatlistConfigMap" -}}
{{- if .Values.threatlist.existingConfigMap }}
{{- .Values.threatlist.existingConfigMap }}
{{- else if .Values.threatlist.csv }}
{{- printf "%s-threatlist" (include "telemetry-api.fullname" .) }}
{{- end }}
{{- end }}

{{/* Values every install needs; fails early with a clear message. */}}
{{- define "telemetry-api.validate" -}}
{{- if not .Values.kafka.brokers }}
{{- fail "kafka.brokers is required: the comma-separated bootstrap servers of your Kafka cluster" }}
{{- end }}
{{- $needsDatabase := false }}
{{- range $name, $app := .Values.apps }}
{{- if and $app.enabled $app.database }}{{ $needsDatabase = true }}{{ end }}
{{- end }}
{{- if and $needsDatabase (not .Values.database.url) (not .Values.database.existingSecret) }}
{{- fail "database.url or database.existingSecret is required: the PostgreSQL URL of the query-api's read models" }}
{{- end }}
{{- if and .Values.database.url (not (regexMatch "^postgres(ql)?://" .Values.database.url)) }}
{{- fail "database.url must start with postgres:// or postgresql://" }}
{{- end }}
{{- if not (has .Values.logLevel (list "error" "warn" "log" "debug" "verbose")) }}
{{- fail "logLevel must be one of error, warn, log, debug, verbose" }}
{{- end }}
{{- if and .Values.otlpEndpoint (not (regexMatch "^https?://" .Values.otlpEndpoint)) }}
{{- fail "otlpEndpoint must be an http:// or https:// URL" }}
{{- end }}
{{- if and .Values.apiKey.value (lt (len .Values.apiKey.value) 6) }}
{{- fail "apiKey.value must be at least 6 characters" }}
{{- end }}
{{- end }}

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

{{/* repository@digest when a digest is given (what runs is then fixed), else repository:tag. */}}
{{- define "telemetry-api.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}
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
{{- include "telemetry-api.validateEnv" (dict "env" .Values.env "where" "env") }}
{{- range $name, $app := .Values.apps }}
{{- include "telemetry-api.validateEnv" (dict "env" $app.env "where" (printf "apps.%s.env" $name)) }}
{{- if and $app.autoscaling.enabled (lt (int $app.autoscaling.maxReplicas) (int $app.autoscaling.minReplicas)) }}
{{- fail (printf "apps.%s.autoscaling.maxReplicas must not be below minReplicas" $name) }}
{{- end }}
{{- end }}
{{- $sasl := .Values.kafka.sasl }}
{{- if and $sasl.mechanism (not $sasl.existingSecret) }}
{{- fail "kafka.sasl.existingSecret is required with kafka.sasl.mechanism: the Secret holding the SASL password (or the OAUTHBEARER token)" }}
{{- end }}
{{- if and (has $sasl.mechanism (list "plain" "scram-sha-256" "scram-sha-512")) (not $sasl.username) }}
{{- fail (printf "kafka.sasl.username is required with kafka.sasl.mechanism=%s" $sasl.mechanism) }}
{{- end }}
{{- $tls := .Values.kafka.tls }}
{{- if and $tls.certKey (not $tls.existingSecret) }}
{{- fail "kafka.tls.existingSecret is required with kafka.tls.certKey: the Secret the client certificate and key are mounted from" }}
{{- end }}
{{- if and (or $tls.certKey $tls.servername $tls.existingSecret) (not $tls.enabled) }}
{{- fail "kafka.tls.enabled must be true for kafka.tls.existingSecret, certKey or servername to apply" }}
{{- end }}
{{- if and $tls.existingSecret (not $tls.caKey) (not $tls.certKey) }}
{{- fail "kafka.tls.existingSecret is set but names no file: set kafka.tls.caKey and/or kafka.tls.certKey/keyKey" }}
{{- end }}
{{- if and $tls.keyPasswordKey (not $tls.keyKey) }}
{{- fail "kafka.tls.keyPasswordKey is the passphrase of kafka.tls.keyKey: set keyKey (and certKey) too" }}
{{- end }}
{{- if ne (empty $tls.certKey) (empty $tls.keyKey) }}
{{- fail "kafka.tls.certKey and kafka.tls.keyKey go together (mutual TLS needs both the client certificate and its key)" }}
{{- end }}
{{- $enricher := index .Values.apps "enricher" }}
{{- if and .Values.keda.enabled $enricher.autoscaling.enabled }}
{{- fail "keda.enabled and apps.enricher.autoscaling.enabled exclude each other: KEDA makes the enricher's HorizontalPodAutoscaler itself" }}
{{- end }}
{{- end }}

{{/*
Checks one `env` map: each entry is a plain value, or { valueFrom: <EnvVarSource> }; a name that
looks like a secret (token, password, secret, API key, credentials, private key, DATABASE_URL) must
come from a Secret (valueFrom), never as a plain value in the manifest.
(dict "env" <map> "where" "<values path>")
*/}}
{{- define "telemetry-api.validateEnv" -}}
{{- range $key, $value := (.env | default dict) }}
{{- if kindIs "map" $value }}
{{- if or (ne (len $value) 1) (not (hasKey $value "valueFrom")) }}
{{- fail (printf "%s.%s must be a plain value or { valueFrom: ... }, got keys %s" $.where $key (keys $value | sortAlpha | join ", ")) }}
{{- end }}
{{- else if kindIs "slice" $value }}
{{- fail (printf "%s.%s must be a plain value or { valueFrom: ... }, got a list" $.where $key) }}
{{- else if and (regexMatch "(?i)(TOKEN|PASSWORD|SECRET|API_KEY|APIKEY|CREDENTIAL|PRIVATE_KEY|^DATABASE_URL$|^TELEMETRY_SEED_KEYS$)" $key) (not (hasSuffix "_FILE" $key)) }}
{{- fail (printf "%s.%s looks like a secret: give it as { valueFrom: { secretKeyRef: { name: <secret>, key: <key> } } }, not as a plain value" $.where $key) }}
{{- end }}
{{- end }}
{{- end }}

{{/* The `env` entries of an env map, sorted by name: plain values quoted, valueFrom as given. */}}
{{- define "telemetry-api.envEntries" -}}
{{- range $key, $value := . }}
- name: {{ $key }}
{{- if kindIs "map" $value }}
  valueFrom:
    {{- toYaml $value.valueFrom | nindent 4 }}
{{- else }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* KAFKA_SECURITY_PROTOCOL from kafka.tls.enabled and kafka.sasl.mechanism; empty for PLAINTEXT. */}}
{{- define "telemetry-api.kafkaSecurityProtocol" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.sasl.mechanism }}SASL_SSL
{{- else if .Values.kafka.sasl.mechanism }}SASL_PLAINTEXT
{{- else if .Values.kafka.tls.enabled }}SSL
{{- end }}
{{- end }}

{{/* The consumer-group prefix the apps use (KAFKA_GROUP_PREFIX); KEDA reads the enricher's lag by it. */}}
{{- define "telemetry-api.groupPrefix" -}}
{{- .Values.kafka.groupPrefix | default "telemetry" }}
{{- end }}

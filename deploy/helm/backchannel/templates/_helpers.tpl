{{/* The chart's name, and the prefix of every resource's name. */}}
{{- define "backchannel.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "backchannel.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels of every resource; `component` names the service. */}}
{{- define "backchannel.labels" -}}
app.kubernetes.io/name: {{ include "backchannel.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: backchannel
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "backchannel.selectorLabels" -}}
app.kubernetes.io/name: {{ include "backchannel.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "backchannel.annotations" -}}
{{- with .Values.commonAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The image, by digest when given; never `latest`. */}}
{{- define "backchannel.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if eq $tag "latest" -}}{{- fail "image.tag: pin a version, never latest" -}}{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s/%s@%s" .Values.image.registry .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s/%s:%s" .Values.image.registry .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/*
The services: values key, Kubernetes name, whether it has an admin API (the admin token), whether
it seals or opens (the key-encryption keys), whether it calls out to clients and devices, and its
readiness path (services without an HTTP API of their own are ready when their Kafka consumer
consumes). The secrets follow SECRETS_OF_SERVICE in libs/config: a service refuses to start
without one it needs.
*/}}
{{- define "backchannel.services" -}}
gateway: {name: gateway, admin: true, kek: false, public: true, outbound: false, readiness: /health/ready}
backchannel: {name: backchannel, admin: true, kek: true, public: false, outbound: false, readiness: /health/ready}
token: {name: token, admin: false, kek: true, public: false, outbound: false, readiness: /health/ready}
notifier: {name: notifier, admin: false, kek: true, public: false, outbound: true, readiness: /health/consumer}
approvals: {name: approvals, admin: true, kek: true, public: false, outbound: false, readiness: /health/ready}
pingDelivery: {name: ping-delivery, admin: false, kek: true, public: false, outbound: true, readiness: /health/consumer}
{{- end -}}

{{/* `common` with a service's own block over it. */}}
{{- define "backchannel.settingsOf" -}}
{{- $own := index .root.Values.services .key | default dict -}}
{{- toYaml (mustMergeOverwrite (deepCopy .root.Values.common) (deepCopy $own)) -}}
{{- end -}}

{{- define "backchannel.serviceName" -}}
{{- printf "%s-%s" (include "backchannel.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Refuses a render that cannot work, with what to set. */}}
{{- define "backchannel.validateValues" -}}
{{- $problems := list -}}
{{- if not .Values.config.issuer }}{{ $problems = append $problems "config.issuer: the public https URL of the gateway" }}{{ end -}}
{{- if and .Values.config.issuer (not (hasPrefix "https://" .Values.config.issuer)) }}{{ $problems = append $problems "config.issuer: must be https" }}{{ end -}}
{{- if not .Values.secrets.existingSecret }}{{ $problems = append $problems "secrets.existingSecret: a Secret with the admin token and the key-encryption key" }}{{ end -}}
{{- if not .Values.externalDatabase.host }}{{ $problems = append $problems "externalDatabase.host: the PostgreSQL host" }}{{ end -}}
{{- if not .Values.externalDatabase.existingSecret }}{{ $problems = append $problems "externalDatabase.existingSecret: a Secret with the database password" }}{{ end -}}
{{- if not .Values.externalKafka.brokers }}{{ $problems = append $problems "externalKafka.brokers: the Kafka bootstrap brokers" }}{{ end -}}
{{- if and .Values.externalKafka.sasl.mechanism (not .Values.externalKafka.sasl.existingSecret) }}{{ $problems = append $problems "externalKafka.sasl.existingSecret: a Secret with the SASL password" }}{{ end -}}
{{- if and .Values.externalKafka.strimzi.enabled (not .Values.externalKafka.strimzi.cluster) }}{{ $problems = append $problems "externalKafka.strimzi.cluster: the Strimzi Kafka cluster's name" }}{{ end -}}
{{- if and .Values.ingress.enabled .Values.httpRoute.enabled }}{{ $problems = append $problems "ingress.enabled and httpRoute.enabled: choose one" }}{{ end -}}
{{- if and .Values.mtls.enabled (not .Values.trustedProxies.gateway) }}{{ $problems = append $problems "trustedProxies.gateway: the ingress controller's network, whose certificate header the gateway believes (mtls.enabled)" }}{{ end -}}
{{- if not .Values.trustedProxies.services }}{{ $problems = append $problems "trustedProxies.services: the gateway's pods' network, whose X-Forwarded-For the services believe (else every client counts as the gateway)" }}{{ end -}}
{{- if $problems }}
{{- fail (printf "\n\nbackchannel: values missing or wrong:\n  - %s\n" (join "\n  - " $problems)) }}
{{- end -}}
{{- end -}}

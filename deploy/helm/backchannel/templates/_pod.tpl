{{/*
What every Backchannel container has, the services' and the jobs': the ConfigMap's settings, the
secrets the container uses (the admin token only where `admin`, the key-encryption keys only where
`kek`), the gateway's trusted proxies where `public`, the mounted authorities, /tmp. `podAddress`: a
service only the other services call listens on the pod's address (HOST from the downward API), not
on every interface of the pod (the probes, the Services and Prometheus reach the pod's address),
unless extraEnvVars sets HOST.
*/}}
{{- define "backchannel.containerEnv" -}}
{{- $ownHost := false -}}
{{- range .extraEnvVars }}{{ if eq .name "HOST" }}{{ $ownHost = true }}{{ end }}{{ end -}}
envFrom:
  - configMapRef:
      name: {{ include "backchannel.fullname" .root }}
env:
  {{- if and .podAddress (not $ownHost) }}
  - name: HOST
    valueFrom:
      fieldRef:
        fieldPath: status.podIP
  {{- end }}
  - name: DATABASE_PASSWORD
    valueFrom:
      secretKeyRef:
        name: {{ .root.Values.externalDatabase.existingSecret }}
        key: {{ .root.Values.externalDatabase.existingSecretPasswordKey }}
  {{- if not .kek }}
  {{- else if .root.Values.secrets.keyEncryptionKeysKey }}
  - name: BACKCHANNEL_KEY_ENCRYPTION_KEYS
    valueFrom:
      secretKeyRef:
        name: {{ .root.Values.secrets.existingSecret }}
        key: {{ .root.Values.secrets.keyEncryptionKeysKey }}
  {{- else }}
  - name: BACKCHANNEL_KEY_ENCRYPTION_KEY
    valueFrom:
      secretKeyRef:
        name: {{ .root.Values.secrets.existingSecret }}
        key: {{ .root.Values.secrets.keyEncryptionKeyKey }}
  {{- end }}
  {{- if .admin }}
  - name: BACKCHANNEL_ADMIN_TOKEN
    valueFrom:
      secretKeyRef:
        name: {{ .root.Values.secrets.existingSecret }}
        key: {{ .root.Values.secrets.adminTokenKey }}
  {{- end }}
  {{- if .root.Values.externalKafka.sasl.mechanism }}
  - name: KAFKA_SASL_PASSWORD
    valueFrom:
      secretKeyRef:
        name: {{ .root.Values.externalKafka.sasl.existingSecret }}
        key: {{ .root.Values.externalKafka.sasl.existingSecretPasswordKey }}
  {{- end }}
  {{- if .public }}
  # the gateway believes X-Forwarded-For from the proxies in front of it, and overwrites it for the services
  - name: TRUSTED_PROXIES
    value: {{ join "," .root.Values.trustedProxies.gateway | quote }}
  {{- end }}
  {{- with .extraEnvVars }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  {{- if and .root.Values.externalKafka.tls.enabled .root.Values.externalKafka.tls.existingSecret }}
  - name: kafka-ca
    mountPath: /etc/backchannel/kafka
    readOnly: true
  {{- end }}
  {{- if and .root.Values.mtls.enabled .root.Values.mtls.clientCaSecret }}
  - name: client-ca
    mountPath: /etc/backchannel/client-ca
    readOnly: true
  {{- end }}
{{- end -}}

{{- define "backchannel.volumes" -}}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
  {{- if and .Values.externalKafka.tls.enabled .Values.externalKafka.tls.existingSecret }}
  - name: kafka-ca
    secret:
      secretName: {{ .Values.externalKafka.tls.existingSecret }}
      items:
        - key: {{ .Values.externalKafka.tls.caKey }}
          path: ca.crt
  {{- end }}
  {{- if and .Values.mtls.enabled .Values.mtls.clientCaSecret }}
  - name: client-ca
    secret:
      secretName: {{ .Values.mtls.clientCaSecret }}
      items:
        - key: ca.crt
          path: ca.crt
  {{- end }}
{{- end -}}

{{/* The pod of a job: the image's command `args`, the common security settings, no restarts. */}}
{{- define "backchannel.jobPod" -}}
metadata:
  labels: {{- include "backchannel.labels" (dict "root" .root "component" .component) | nindent 4 }}
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext: {{- toYaml .root.Values.common.podSecurityContext | nindent 4 }}
  {{- with .root.Values.image.pullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  containers:
    - name: {{ .component }}
      image: {{ include "backchannel.image" .root }}
      imagePullPolicy: {{ .root.Values.image.pullPolicy }}
      args: {{- toYaml .args | nindent 8 }}
      securityContext: {{- toYaml .root.Values.common.containerSecurityContext | nindent 8 }}
      resources: {{- toYaml .root.Values.common.resources | nindent 8 }}
      {{- include "backchannel.containerEnv" (dict "root" .root "admin" false "kek" .kek) | nindent 6 }}
  {{- include "backchannel.volumes" .root | nindent 2 }}
{{- end -}}

{{/* Chart name, overridable. */}}
{{- define "kvenv.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Prefix of every namespaced object, derived from the release so that two
releases never collide. DNS labels allow 63 characters.
*/}}
{{- define "kvenv.fullname" -}}
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

{{/*
Name of cluster-scoped objects: the fullname AND the namespace, because two
releases of the same name in two namespaces must not share (and on uninstall
delete) one MutatingWebhookConfiguration or ClusterRole.
*/}}
{{- define "kvenv.clusterName" -}}
{{- include "kvenv.shorten" (printf "%s-%s" (include "kvenv.fullname" .) .Release.Namespace) -}}
{{- end -}}

{{- define "kvenv.pullSecretsName" -}}
{{- include "kvenv.shorten" (printf "%s-%s-pull-secrets" (include "kvenv.fullname" .) .Release.Namespace) -}}
{{- end -}}

{{/* A name of at most 63 characters; a longer one keeps its start and gets a
hash of the whole, so shortened names stay unique. */}}
{{- define "kvenv.shorten" -}}
{{- if gt (len .) 63 -}}
{{- printf "%s-%s" (. | trunc 54 | trimSuffix "-") (. | sha256sum | trunc 8) -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- end -}}

{{- define "kvenv.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kvenv.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kvenv.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kvenv.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: webhook
{{- end -}}

{{/* An image reference: a digest pins it and wins over the tag. */}}
{{- define "kvenv.imageRef" -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (default .appVersion .image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "kvenv.image" -}}
{{- include "kvenv.imageRef" (dict "image" .Values.image "appVersion" .Chart.AppVersion) -}}
{{- end -}}

{{/* The init container's image: the webhook's own unless set. */}}
{{- define "kvenv.injectorImage" -}}
{{- $i := .Values.injector.image -}}
{{- if $i.repository -}}
{{- include "kvenv.imageRef" (dict "image" $i "appVersion" .Chart.AppVersion) -}}
{{- else -}}
{{- include "kvenv.image" . -}}
{{- end -}}
{{- end -}}

{{- define "kvenv.serviceAccountName" -}}{{ include "kvenv.fullname" . }}{{- end -}}
{{- define "kvenv.webhookConfigName" -}}{{ include "kvenv.clusterName" . }}{{- end -}}

{{/* The Secret with the serving certificate, from cert-manager or kvenv itself. */}}
{{- define "kvenv.tlsSecretName" -}}{{ include "kvenv.fullname" . }}-tls{{- end -}}

{{/* The names the API server may use for the Service: the serving certificate's hosts. */}}
{{- define "kvenv.serviceHosts" -}}
{{- $svc := include "kvenv.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) | toJson -}}
{{- end -}}

{{- define "kvenv.certDir" -}}/tls{{- end -}}
{{- define "kvenv.caBundleDir" -}}/etc/kvenv/ca{{- end -}}

{{/* Every CA bundle value, one after the other; empty when none is set, so
that it both decides whether the ConfigMap is rendered and mounted, and
gives the checksum that rolls the webhook when one changes (it reads the
files once, at start). */}}
{{- define "kvenv.caBundles" -}}
{{- with .Values.azure.caBundle }}azure.caBundle:{{ . }}{{ end -}}
{{- with .Values.registry.caBundle }}registry.caBundle:{{ . }}{{ end -}}
{{- end -}}

{{/*
"true" when the PodDisruptionBudget is rendered: enabled, and replicaCount
above the pods it keeps, so that a drain can still evict one replica. A
budget that keeps every replica (replicaCount 1 with minAvailable 1) would
block `kubectl drain` forever. A percentage counts as the disruption
controller counts it: of replicaCount, rounded up.
*/}}
{{- define "kvenv.pdbRendered" -}}
{{- $pdb := .Values.podDisruptionBudget -}}
{{- $replicas := int .Values.replicaCount -}}
{{- $kept := 0 -}}
{{- if kindIs "string" $pdb.minAvailable -}}
{{- $kept = div (add (mul $replicas (trimSuffix "%" $pdb.minAvailable | atoi)) 99) 100 -}}
{{- else -}}
{{- $kept = int $pdb.minAvailable -}}
{{- end -}}
{{- if and $pdb.enabled (gt $replicas (int $kept)) }}true{{ end -}}
{{- end -}}

{{/* A word a POSIX shell reads back unchanged: as it is when it holds only
safe characters, else single-quoted (a quote inside as '\''). */}}
{{- define "kvenv.shellWord" -}}
{{- if regexMatch "^[A-Za-z0-9_./:=,@+%-]+$" . -}}
{{- . -}}
{{- else -}}
{{- printf "'%s'" (replace "'" "'\\''" .) -}}
{{- end -}}
{{- end -}}

{{/*
The webhook's command line, one flag of `kvenv-webhook serve` per value
(cmd/kvenv-webhook: serve.go, config_flags.go, tls.go). A test runs the
binary's own flag parser over exactly these arguments. toYaml quotes what
needs quoting.
*/}}
{{- define "kvenv.args" -}}
{{- $v := .Values -}}
{{- $a := list "serve" "--port=9443" "--health-probe-bind-address=:8081" -}}
{{- $a = append $a (printf "--metrics-bind-address=%s" (ternary (printf ":%d" (int $v.metrics.port)) "0" $v.metrics.enabled)) -}}
{{- $a = append $a (printf "--zap-log-level=%v" $v.log.level) -}}
{{- $a = append $a (printf "--tls-min-version=%s" $v.tls.minVersion) -}}
{{- $a = append $a (printf "--shutdown-delay=%s" $v.shutdownDelay) -}}
{{- $a = append $a (printf "--cert-dir=%s" (include "kvenv.certDir" .)) -}}
{{- if $v.certManager.enabled -}}
{{- $a = append $a "--tls-mode=external" -}}
{{- else -}}
{{- $s := $v.tls.selfManaged -}}
{{- $a = append $a "--tls-mode=self-managed" -}}
{{- $a = append $a (printf "--tls-secret-name=%s" (include "kvenv.tlsSecretName" .)) -}}
{{- $a = append $a (printf "--tls-secret-namespace=%s" .Release.Namespace) -}}
{{- $a = append $a (printf "--webhook-config-name=%s" (include "kvenv.webhookConfigName" .)) -}}
{{- $a = append $a (printf "--tls-hosts=%s" (include "kvenv.serviceHosts" . | fromJsonArray | join ",")) -}}
{{- $a = append $a (printf "--tls-ca-validity=%s" $s.caValidity) -}}
{{- $a = append $a (printf "--tls-cert-validity=%s" $s.certValidity) -}}
{{- $a = append $a (printf "--tls-check-interval=%s" $s.checkInterval) -}}
{{- end -}}
{{- $a = concat $a (include "kvenv.configArgs" (dict "root" . "caBundleFile" (printf "%s/ca-bundle.pem" (include "kvenv.caBundleDir" .))) | fromJsonArray) -}}
{{- $r := $v.registry -}}
{{- $a = append $a (printf "--registry-tag-ttl=%s" $r.tagTTL) -}}
{{- $a = append $a (printf "--registry-cache-entries=%d" (int $r.cacheEntries)) -}}
{{- include "kvenv.checkLookupTimeout" . -}}
{{- $a = append $a (printf "--registry-lookup-timeout=%s" $r.lookupTimeout) -}}
{{- range $host, $mirrors := $r.mirrors }}{{ $a = append $a (printf "--registry-mirror=%s=%s" $host (join "," $mirrors)) }}{{ end -}}
{{- with $r.insecureHosts }}{{ $a = append $a (printf "--registry-insecure-hosts=%s" (join "," .)) }}{{ end -}}
{{- if $r.caBundle }}{{ $a = append $a (printf "--registry-ca-bundle-file=%s/registry-ca-bundle.pem" (include "kvenv.caBundleDir" .)) }}{{ end -}}
{{- if $r.azureIdentity }}{{ $a = append $a "--registry-azure-identity" }}{{ end -}}
{{- with $r.acrHosts }}{{ $a = append $a (printf "--registry-acr-hosts=%s" (join "," .)) }}{{ end -}}
{{- if $v.imagePullSecrets.read }}{{ $a = append $a "--registry-read-pull-secrets" }}{{ end -}}
{{- toYaml $a -}}
{{- end -}}

{{/*
The flags `kvenv-webhook serve` shares with `kvenv-webhook render`
(cmd/kvenv-webhook/config_flags.go), as a JSON list: the container's
arguments and the render line of NOTES.txt both take them from here, so
render shows what this install's webhook does. caBundleFile is where
--ca-bundle-file finds azure.caBundle: the mount in the pod, a local file
for render. Takes a dict: root (the chart's context) and caBundleFile.
*/}}
{{- define "kvenv.configArgs" -}}
{{- $v := .root.Values -}}
{{- $a := list -}}
{{- $i := $v.injector -}}
{{- $a = append $a (printf "--injector-image=%s" (include "kvenv.injectorImage" .root)) -}}
{{- $a = append $a (printf "--injector-pull-policy=%s" $i.pullPolicy) -}}
{{- $a = append $a (printf "--init-cpu-request=%v" (dig "requests" "cpu" "" $i.resources)) -}}
{{- $a = append $a (printf "--init-memory-request=%v" (dig "requests" "memory" "" $i.resources)) -}}
{{- $a = append $a (printf "--init-cpu-limit=%v" (dig "limits" "cpu" "" $i.resources)) -}}
{{- $a = append $a (printf "--init-memory-limit=%v" (dig "limits" "memory" "" $i.resources)) -}}
{{- $a = append $a (printf "--volume-size-limit=%v" $i.volumeSizeLimit) -}}
{{- include "kvenv.checkFetchTimeout" .root -}}
{{- $a = append $a (printf "--fetch-timeout=%s" $i.fetchTimeout) -}}
{{- $a = append $a (printf "--max-references=%d" (int $i.maxReferences)) -}}
{{- $a = append $a (printf "--default-platform=%s" $i.defaultPlatform) -}}
{{- $z := $v.azure -}}
{{- $a = append $a (printf "--vault-dns-suffix=%s" $z.vaultDnsSuffix) -}}
{{- with $z.authorityHost }}{{ $a = append $a (printf "--authority-host=%s" .) }}{{ end -}}
{{- if $z.disableInstanceDiscovery }}{{ $a = append $a "--disable-instance-discovery" }}{{ end -}}
{{- if $z.caBundle }}{{ $a = append $a (printf "--ca-bundle-file=%s" $.caBundleFile) }}{{ end -}}
{{- with $v.allowedVaults }}{{ $a = append $a (printf "--allowed-vaults=%s" (join "," .)) }}{{ end -}}
{{- toJson $a -}}
{{- end -}}

{{/*
Seconds in a Go duration ("1m30s", "500ms", "1.5s"), the form the schema
allows for durations, so that durations can be compared with each other and
with whole-second values.
*/}}
{{- define "kvenv.durationSeconds" -}}
{{- $perUnit := dict "h" 3600.0 "m" 60.0 "s" 1.0 "ms" 0.001 "us" 0.000001 "µs" 0.000001 "ns" 0.000000001 -}}
{{- $total := 0.0 -}}
{{- range regexFindAll "[0-9.]+[^0-9.]+" . -1 -}}
{{- $number := regexFind "^[0-9.]+" . -}}
{{- $total = addf $total (mulf (float64 $number) (get $perUnit (trimPrefix $number .))) -}}
{{- end -}}
{{- $total -}}
{{- end -}}

{{/*
The API server abandons the admission call after webhook.timeoutSeconds and
then applies failurePolicy, so an image look-up that lasts as long would
refuse (or, with Ignore, leave unmutated) the very pod it was made for.
kvenv-webhook itself takes at most 8s; 0 means its default, 5s.
*/}}
{{- define "kvenv.checkLookupTimeout" -}}
{{- $given := .Values.registry.lookupTimeout -}}
{{- $lookup := include "kvenv.durationSeconds" $given | float64 -}}
{{- if eq $lookup 0.0 }}{{ $lookup = 5.0 }}{{ $given = printf "%s, meaning the default 5s" $given }}{{ end -}}
{{- $webhook := .Values.webhook.timeoutSeconds -}}
{{- if ge $lookup (float64 $webhook) -}}
{{- fail (printf "registry.lookupTimeout (%s) must be below webhook.timeoutSeconds (%vs): the API server gives up on kvenv after timeoutSeconds, so an image look-up must end before it; lower registry.lookupTimeout or raise webhook.timeoutSeconds" $given $webhook) -}}
{{- end -}}
{{- if gt $lookup 8.0 -}}
{{- fail (printf "registry.lookupTimeout (%s) is above 8s, the most kvenv-webhook accepts (--registry-lookup-timeout); lower it" $given) -}}
{{- end -}}
{{- end -}}

{{/*
kvenv-webhook refuses a fetch timeout that is not positive and exits at
start, after the install has succeeded: refuse it here instead. The schema
already limits the value to Go duration syntax; above Go's largest duration
(about 2562047h) the binary cannot parse it either.
*/}}
{{- define "kvenv.checkFetchTimeout" -}}
{{- $given := .Values.injector.fetchTimeout -}}
{{- $seconds := include "kvenv.durationSeconds" $given | float64 -}}
{{- if or (le $seconds 0.0) (gt $seconds 9223372036.0) -}}
{{- fail (printf "injector.fetchTimeout (%s) must be a positive duration of at most 2562047h, such as the default 2m: kvenv-webhook refuses --fetch-timeout otherwise and does not start" $given) -}}
{{- end -}}
{{- end -}}

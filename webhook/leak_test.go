package webhook_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/internal/leakcheck"
	"github.com/kvenv/kvenv/webhook"
)

// The webhook never sees a secret value: it handles references. Its honest
// leak surface is a value pasted where a reference belongs. These are the
// values a careless user pastes.
const (
	pastedPassword = "Tr0ub4dor&3-horse"
	pastedToken    = "c2lnbmF0dXJlLXRva2Vu" // a SAS-style signature
	pastedSecret   = "Zq48Q~abcDEFghiJKLmnoPQRstuVWXyz0123456789"
)

var pastedPEM = "-----BEGIN PRIVATE KEY-----\n" + strings.Repeat("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n", 70) + "-----END PRIVATE KEY-----"

// pastedCases put a value in every annotation a user could paste it into,
// in every shape the parsers treat differently.
var pastedCases = map[string]map[string]string{
	"password as the reference":         {envKey: pastedPassword},
	"password after a secret name":      {envKey: "DbPassword/" + pastedPassword},
	"password with several slashes":     {envKey: pastedPassword + "/x/y"},
	"password padded with a space":      {envKey: " " + pastedPassword},
	"password with a look-alike dash":   {envKey: pastedPassword + "\u2010"},
	"private key as the reference":      {envKey: pastedPEM},
	"password in a secret URI":          {envKey: "https://myvault.vault.azure.net/secrets/" + pastedPassword},
	"user and password in a secret URI": {envKey: "https://admin:" + pastedPassword + "@myvault.vault.azure.net/secrets/db"},
	"token in a secret URI's query":     {envKey: "https://myvault.vault.azure.net/secrets/db?sig=" + pastedToken},
	"token in a secret URI's fragment":  {envKey: "https://myvault.vault.azure.net/secrets/db#" + pastedToken},
	"token in an http URI":              {envKey: "http://myvault.vault.azure.net/secrets/db?sig=" + pastedToken},
	"token in an opaque URI":            {envKey: "https:" + pastedToken + "://x"},
	"password in a vault URL":           {webhook.AnnotationVault: "https://u:" + pastedPassword + "@myvault.vault.azure.net"},
	"token in a vault URL's query":      {webhook.AnnotationVault: "https://myvault.vault.azure.net/?sig=" + pastedToken},
	"password as the vault":             {webhook.AnnotationVault: pastedPassword},
	"password as the vault host":        {webhook.AnnotationVault: pastedPassword + ".example"},
	"client secret as the client ID":    {webhook.AnnotationClientID: pastedSecret},
	"password under a misspelt key":     {"kvenv.io/evn.DB_PASSWORD": pastedPassword},
	"password under an unknown key":     {"kvenv.io/password": pastedPassword},
}

const envKey = webhook.AnnotationEnvPrefix + "DB_PASSWORD"

// TestPastedValuesAreNotEchoed sends each pod through the admission endpoint
// as the API server does, and scans everything kvenv produced: the answer
// (denial message and warnings), every log line at every verbosity, and
// kvenv's and controller-runtime's metrics.
func TestPastedValuesAreNotEchoed(t *testing.T) {
	values := []string{pastedPassword, pastedToken, pastedSecret, pastedPEM}
	for name, annotations := range pastedCases {
		t.Run(name, func(t *testing.T) {
			logs := &capturedLogs{}
			reg := prometheus.NewRegistry()
			answer := admit(t, leakHandler(logs, reg), podWith(annotations))
			if answer.Allowed {
				t.Fatalf("kvenv accepted a pod with a pasted value in %v", keysOf(annotations))
			}
			for what, text := range map[string]string{
				"denial": answer.Result.Message, "warnings": strings.Join(answer.Warnings, "\n"),
				"logs": logs.String(), "metrics": gathered(t, reg),
			} {
				leakcheck.Check(t, what, text, values...)
			}
			if !strings.Contains(logs.String(), "denied") {
				t.Errorf("the capture saw no log of the denial: the scan proves nothing\n%s", logs)
			}
		})
	}
}

// TestWarningsAndLogsOfAnAcceptedPodHoldNoValue: the accepted path logs and
// warns too (node identity, overridden variables); none of it repeats the
// value a container's own env gave the variable kvenv overrides.
func TestWarningsAndLogsOfAnAcceptedPodHoldNoValue(t *testing.T) {
	logs, reg := &capturedLogs{}, prometheus.NewRegistry()
	pod := podWith(map[string]string{envKey: "DbPassword"})
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "DB_PASSWORD", Value: pastedPassword}}
	answer := admit(t, leakHandler(logs, reg), pod)
	if !answer.Allowed || len(answer.Warnings) < 2 {
		t.Fatalf("want the pod allowed with the node-identity and override warnings, got %+v", answer)
	}
	for what, text := range map[string]string{
		"warnings": strings.Join(answer.Warnings, "\n"), "logs": logs.String(), "metrics": gathered(t, reg),
	} {
		leakcheck.Check(t, what, text, pastedPassword)
	}
}

func podWith(annotations map[string]string) *corev1.Pod {
	pod := fuzzedPod(webhook.AnnotationVault, "myvault", "/app", "", 0)
	for k, v := range annotations {
		pod.Annotations[k] = v
	}
	return pod
}

func keysOf(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// leakHandler is kvenv's HTTP handler with every log line (any verbosity)
// captured and metrics in reg.
func leakHandler(logs *capturedLogs, reg *prometheus.Registry) http.Handler {
	cfg := webhook.DefaultConfig()
	cfg.InjectorImage = "registry.example/kvenv:leak"
	return &webhook.Handler{Config: cfg, Namespaces: staticNamespaces{}, Metrics: webhook.NewMetrics(reg), Log: logr.New(logs)}
}

func admit(t *testing.T, h http.Handler, pod *corev1.Pod) admissionResponse {
	t.Helper()
	return decodeAnswer(t, serveReview(h, "application/json", reviewOf(t, pod)).Body.Bytes())
}

// gathered is every metric family of reg as text: names, labels, values.
func gathered(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range families {
		fmt.Fprintln(&b, f.String())
	}
	if b.Len() == 0 {
		t.Fatal("no metrics gathered: the scan proves nothing")
	}
	return b.String()
}

// capturedLogs is a logr sink that keeps every line at every verbosity, with
// its values formatted as a JSON or text log would show them.
type capturedLogs struct {
	mu     sync.Mutex
	b      strings.Builder
	values []any
}

func (c *capturedLogs) Init(logr.RuntimeInfo)  {}
func (c *capturedLogs) Enabled(level int) bool { return true }

func (c *capturedLogs) Info(level int, msg string, kv ...any) { c.write(msg, nil, kv) }

func (c *capturedLogs) Error(err error, msg string, kv ...any) { c.write(msg, err, kv) }

func (c *capturedLogs) WithValues(kv ...any) logr.LogSink {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.values = append(c.values, kv...)
	return c
}

func (c *capturedLogs) WithName(string) logr.LogSink { return c }

func (c *capturedLogs) write(msg string, err error, kv []any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(&c.b, "%s err=%v %v %v\n", msg, err, c.values, kv)
	for _, v := range append(append([]any(nil), c.values...), kv...) {
		if raw, ok := v.([]byte); ok { // a byte value would be logged as base64
			fmt.Fprintln(&c.b, base64.StdEncoding.EncodeToString(raw))
		}
	}
}

func (c *capturedLogs) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}

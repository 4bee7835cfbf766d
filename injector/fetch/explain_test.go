package fetch

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kvenv/kvenv/internal/secretref"
)

// The advice kvenv-init's log gives for settings the webhook writes into the
// pod: the reader must be sent to the webhook's flag and Helm value, never to
// kvenv-init's own --timeout or KVENV_CA_BUNDLE, which they cannot change.
const (
	raiseFetchTimeoutAdvice = "ask the cluster admin to raise kvenv-webhook's --fetch-timeout (Helm value injector.fetchTimeout)"
	addCAAdvice             = "ask the cluster admin to add that CA to kvenv-webhook's --ca-bundle-file (Helm value azure.caBundle)"
)

// unchangeable is advice that names a setting of kvenv-init itself.
var unchangeable = []string{"raise --timeout", "KVENV_CA_BUNDLE"}

func explainOne(err error) string {
	x := explainer{id: Identity{Mode: WorkloadIdentity, ClientID: "client-1"}, timeout: 2 * time.Minute}
	ref := secretref.Ref{Env: "DB_PASSWORD", VaultURL: "https://myvault.vault.azure.net", Name: "db-password"}
	return x.line(ref, err)
}

func TestAdviceNamesTheWebhooksSettings(t *testing.T) {
	t.Parallel()
	untrusted := &url.Error{Op: "Get", URL: "https://myvault.vault.azure.net/secrets/db-password",
		Err: fmt.Errorf("tls: %w", x509.UnknownAuthorityError{})}
	for name, tc := range map[string]struct {
		err  error
		want []string
	}{
		"throttled past --timeout": {&stalledError{err: context.DeadlineExceeded, last: "429 Too Many Requests"},
			[]string{"still throttling when --timeout=2m0s ran out", "spread the secrets over more vaults", raiseFetchTimeoutAdvice}},
		"failing past --timeout": {&stalledError{err: context.DeadlineExceeded, last: "503 Service Unavailable"},
			[]string{"still failing when --timeout=2m0s ran out", raiseFetchTimeoutAdvice}},
		"no answer within --timeout": {context.DeadlineExceeded,
			[]string{"no answer within --timeout=2m0s", "network policy", raiseFetchTimeoutAdvice}},
		"untrusted certificate": {untrusted,
			[]string{"certificate", addCAAdvice, "private endpoint DNS"}},
	} {
		line := explainOne(tc.err)
		if !strings.HasPrefix(line, "DB_PASSWORD: vault https://myvault.vault.azure.net secret db-password: ") {
			t.Errorf("%s: %q does not name the variable, vault and secret", name, line)
		}
		for _, w := range tc.want {
			if !strings.Contains(line, w) {
				t.Errorf("%s: %q\nlacks %q", name, line, w)
			}
		}
		for _, bad := range unchangeable {
			if strings.Contains(line, bad) {
				t.Errorf("%s: %q\nadvises %q, which the pod's owner cannot change", name, line, bad)
			}
		}
	}
}

// TestNetworkFailureAdviceLeavesCertificatesOut: a connection that fails
// before any certificate is seen is a reachability problem; a CA would not help.
func TestNetworkFailureAdviceLeavesCertificatesOut(t *testing.T) {
	t.Parallel()
	reset := &url.Error{Op: "Get", URL: "https://myvault.vault.azure.net/secrets/db-password", Err: syscall.ECONNRESET}
	line := explainOne(reset)
	if !strings.Contains(line, "check that the pod can reach the vault (network policy, firewall, private endpoint, DNS)") {
		t.Errorf("%q lacks the reachability advice", line)
	}
	for _, bad := range append(unchangeable, "certificate", "--ca-bundle-file") {
		if strings.Contains(line, bad) {
			t.Errorf("%q\nmentions %q for a reset connection", line, bad)
		}
	}
}

// TestAdvisedWebhookSettingsExist keeps the advice's flag and Helm value
// names those the webhook and its chart really have.
func TestAdvisedWebhookSettingsExist(t *testing.T) {
	t.Parallel()
	flags := readRepoGlob(t, "cmd/kvenv-webhook/*.go")
	for _, flag := range []string{`"fetch-timeout"`, `"ca-bundle-file"`} {
		if !strings.Contains(flags, flag) {
			t.Errorf("kvenv-webhook has no flag %s, which kvenv-init's advice names", flag)
		}
	}
	var values struct {
		Injector map[string]any `json:"injector"`
		Azure    map[string]any `json:"azure"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "manifests/charts/kvenv/values.yaml")), &values); err != nil {
		t.Fatal(err)
	}
	if _, ok := values.Injector["fetchTimeout"]; !ok {
		t.Error("the chart has no value injector.fetchTimeout, which kvenv-init's advice names")
	}
	if _, ok := values.Azure["caBundle"]; !ok {
		t.Error("the chart has no value azure.caBundle, which kvenv-init's advice names")
	}
	args := readRepoFile(t, "manifests/charts/kvenv/templates/_args.tpl")
	for flag, value := range map[string]string{"--fetch-timeout=": "$i.fetchTimeout", "--ca-bundle-file=": "$z.caBundle"} {
		if !lineHoldsBoth(args, flag, value) {
			t.Errorf("the chart's _args.tpl has no line that sets %s from %s", flag, value)
		}
	}
}

func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile("../../" + rel)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readRepoGlob is the non-test files that match pattern, read as one text,
// so the test does not care which file of the package declares a flag.
func readRepoGlob(t *testing.T, pattern string) string {
	t.Helper()
	paths, err := filepath.Glob("../../" + pattern)
	if err != nil || len(paths) == 0 {
		t.Fatalf("%s: %v, %d files", pattern, err, len(paths))
	}
	var all strings.Builder
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue // a test may quote a flag the binary lacks
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	return all.String()
}

func lineHoldsBoth(text, a, b string) bool {
	for line := range strings.SplitSeq(text, "\n") {
		if strings.Contains(line, a) && strings.Contains(line, b) {
			return true
		}
	}
	return false
}

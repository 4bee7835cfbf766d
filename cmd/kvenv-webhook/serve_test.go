package main

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// parseServe parses serve's flags with the required injector image first.
func parseServe(t *testing.T, args ...string) (*serveSettings, error) {
	t.Helper()
	return parseServeFlags(append([]string{"--injector-image=" + injectorImage}, args...), io.Discard)
}

// Go's flag parser stops at the first word that is not a flag: `--flag
// false` for a boolean used to drop `false` and every flag after it.
func TestServeRefusesStrayWords(t *testing.T) {
	_, err := parseServe(t, "--disable-instance-discovery", "false", "--port=notaport")
	if err == nil {
		t.Fatal("serve accepted a stray word and dropped the flags after it")
	}
	for _, want := range []string{`unexpected argument "false"`, "--disable-instance-discovery=false"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
	if _, err := parseServe(t, "extra"); err == nil || !strings.Contains(err.Error(), `"extra"`) {
		t.Errorf("want the stray word named, got %v", err)
	}
	s, err := parseServe(t, "--disable-instance-discovery=false", "--port=9000")
	if err != nil {
		t.Fatal(err)
	}
	if s.opts.Port != 9000 {
		t.Errorf("port %d, want 9000", s.opts.Port)
	}
}

// A mistyped --tls-mode used to be reported only after serve had reached
// the cluster.
func TestServeChecksTheTLSModeWithTheFlags(t *testing.T) {
	_, err := parseServe(t, "--tls-mode=selfmanaged")
	if err == nil {
		t.Fatal("--tls-mode=selfmanaged was accepted")
	}
	for _, want := range []string{"--tls-mode", `"selfmanaged"`, tlsModeExternal, tlsModeSelfManaged} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
	for _, mode := range []string{tlsModeExternal, tlsModeSelfManaged} {
		if _, err := parseServe(t, "--tls-mode="+mode); err != nil {
			t.Errorf("--tls-mode=%s: %v", mode, err)
		}
	}
}

// The registry settings were checked by imageconfig, after serve had reached
// the cluster, in messages naming Go fields (LookupTimeout, MaxEntries).
func TestServeNamesTheRegistryFlagToFix(t *testing.T) {
	noCert := filepath.Join(t.TempDir(), "registry-ca.pem")
	writeFile(t, noCert, []byte("not a certificate"))
	cases := []struct {
		flag string
		want []string
	}{
		{"--registry-lookup-timeout=9s", []string{"--registry-lookup-timeout 9s", "registry.lookupTimeout", "8s"}},
		{"--registry-lookup-timeout=-1s", []string{"--registry-lookup-timeout -1s", "registry.lookupTimeout"}},
		{"--registry-cache-entries=-1", []string{"--registry-cache-entries -1", "registry.cacheEntries", "negative"}},
		{"--registry-tag-ttl=-1s", []string{"--registry-tag-ttl -1s", "registry.tagTTL", "negative"}},
		{"--registry-ca-bundle-file=" + noCert, []string{"--registry-ca-bundle-file " + noCert, "no PEM certificate"}},
	}
	for _, tc := range cases {
		t.Run(tc.flag, func(t *testing.T) {
			_, err := parseServe(t, tc.flag)
			if err == nil {
				t.Fatalf("%s was accepted", tc.flag)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error lacks %q: %v", want, err)
				}
			}
		})
	}
}

// A pod's image look-ups together get one look-up's timeout: the handler's
// deadline follows --registry-lookup-timeout, which the chart keeps inside
// the webhook's timeoutSeconds.
func TestServeGivesThePodsLookUpsTheLookUpTimeout(t *testing.T) {
	s, err := parseServe(t, "--registry-lookup-timeout=7s")
	if err != nil {
		t.Fatal(err)
	}
	if s.opts.ImagesDeadline != 7*time.Second {
		t.Fatalf("the pod's look-ups get %v; want the look-up timeout, 7s", s.opts.ImagesDeadline)
	}
}

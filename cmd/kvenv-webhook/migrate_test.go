package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const migrateTestdata = "../../webhook/migrate/testdata"

// The tutorial's SecretProviderClass and its app, given as two files the way
// they are kept in a repository, give exactly the package's golden output,
// manifests on stdout and the report on stderr.
func TestMigrateCommandJoinsFiles(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(migrateTestdata, "in/tutorial.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spc, app, ok := bytes.Cut(raw, []byte("\n---\n"))
	if !ok {
		t.Fatal("tutorial.yaml: no document separator")
	}
	dir := t.TempDir()
	spcFile, appFile := filepath.Join(dir, "spc.yaml"), filepath.Join(dir, "app.yaml")
	writeFile(t, spcFile, spc) // no trailing newline: the join must add one
	writeFile(t, appFile, app)

	var stdout, stderr bytes.Buffer
	if err := migrate([]string{"-f", spcFile, "-f", appFile}, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("migrate: %v\n%s", err, stderr.String())
	}
	assertSameAs(t, filepath.Join(migrateTestdata, "golden/tutorial.yaml"), stdout.Bytes())
	assertSameAs(t, filepath.Join(migrateTestdata, "golden/tutorial.report"), stderr.Bytes())
}

func TestMigrateCommandReadsStdin(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(migrateTestdata, "in/pod-identity.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	// Untranslatable input is not an error: it is reported and passed through.
	if err := migrate(nil, bytes.NewReader(raw), &stdout, &stderr); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if !bytes.Equal(stdout.Bytes(), raw) {
		t.Errorf("untranslatable input must come out unchanged:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "left as is: Deployment legacy: SecretProviderClass legacy-spc: usePodIdentity") {
		t.Errorf("report lacks the pod identity line:\n%s", stderr.String())
	}
}

func TestMigrateCommandFailsOnlyOnUnreadableInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, []byte("kind: [unclosed\n"))
	for name, args := range map[string][]string{
		"missing file": {"-f", filepath.Join(dir, "absent.yaml")},
		"not YAML":     {"-f", bad},
		"stray arg":    {"app.yaml"},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := migrate(args, strings.NewReader(""), &stdout, &stderr)
			if err == nil {
				t.Fatalf("want an error (exit status 1), got none; stdout:\n%s", stdout.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("nothing may be printed on failure, got:\n%s", stdout.String())
			}
		})
	}
}

func TestMigrateHelpSaysWhatMaps(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := migrate([]string{"-h"}, strings.NewReader(""), &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("want flag.ErrHelp, got %v", err)
	}
	for _, want := range []string{
		"kvenv.io/vault", "kvenv.io/client-id: <userAssignedIdentityID>", "azure.workload.identity/client-id",
		"usePodIdentity", "objectType key or cert", "kubernetes.io/tls", "envFrom", "standard error", "-f",
		// tenantId of a workload identity goes to the service account; a
		// certificate's secret comes as PFX; a workload identity label
		// displaces the node's identity; aliased templates stay.
		"azure.workload.identity/tenant-id", "the PFX in base64", "kvenv would use instead", "YAML alias",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, stderr.String())
		}
	}
	// Only a managed identity brings its own tenant.
	if strings.Contains(stderr.String(), "the identity brings its tenant") {
		t.Errorf("help says every identity brings its tenant:\n%s", stderr.String())
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func assertSameAs(t *testing.T, golden string, got []byte) {
	t.Helper()
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s:\n--- got ---\n%s\n--- want ---\n%s", golden, got, want)
	}
}

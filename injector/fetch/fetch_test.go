package fetch

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	password  = "ThisIsTest#123"
	multiLine = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nqJv3x+YhU0lE=\n-----END PRIVATE KEY-----\n"
	apiKey    = "  spaces kept, 'quotes' \"too\" =; $HOME `x`"
)

func TestFetchWritesEveryValueExactlyAndDoneMarker(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "db-password", password)
	f.put(kv, "tls-key", multiLine)
	f.put(kv, "api-key", apiKey)
	kv.Allow(appIdentity)

	out, err := f.run(f.config(
		"SPRING_DATASOURCE_PASSWORD="+vault+"/secrets/db-password",
		"TLS_KEY="+vault+"/secrets/tls-key",
		"API_KEY="+vault+"/secrets/api-key",
	))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := map[string]string{"SPRING_DATASOURCE_PASSWORD": password, "TLS_KEY": multiLine, "API_KEY": apiKey}
	for name, value := range want {
		if got := f.readEnv(name, 0o400); got != value {
			t.Errorf("%s: file content differs from the secret value (len %d, want %d)", name, len(got), len(value))
		}
	}
	if got := entries(t, filepath.Join(f.dir, "env")); len(got) != 3 {
		t.Errorf("env dir holds %v, want exactly the 3 variables", got)
	}
	checkWrapperCopied(t, f)
	if !f.doneExists() {
		t.Error(".done missing after success")
	}
	for _, s := range []string{"vault=" + vault, "secrets=3", "names=db-password,tls-key,api-key",
		"env=API_KEY,SPRING_DATASOURCE_PASSWORD,TLS_KEY", "workload identity"} {
		if !strings.Contains(out, s) {
			t.Errorf("summary %q lacks %q", out, s)
		}
	}
	if n := strings.Count(out, "\n"); n != 1 {
		t.Errorf("summary has %d lines, want 1 for 1 vault", n)
	}
}

func checkWrapperCopied(t *testing.T, f *fixture) {
	t.Helper()
	p := filepath.Join(f.dir, "bin", "kvenv-exec")
	st, err := os.Stat(p)
	if err != nil {
		t.Fatalf("wrapper not copied: %v", err)
	}
	if st.Mode() != 0o555 {
		t.Errorf("wrapper mode %v, want 0555", st.Mode())
	}
	got, _ := os.ReadFile(p)
	src, _ := os.ReadFile(f.execSrc)
	if string(got) != string(src) {
		t.Error("wrapper copy differs from its source")
	}
}

func TestThreeSecretsCostOneTokenAndOneChallenge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	for _, n := range []string{"a", "b", "c"} {
		f.put(kv, n, "value-of-"+n+"-xyz")
	}
	kv.Allow(appIdentity)
	if _, err := f.run(f.config("A="+vault+"/secrets/a", "B="+vault+"/secrets/b", "C="+vault+"/secrets/c")); err != nil {
		t.Fatal(err)
	}
	if n := f.entra.TokenRequests(); n != 1 {
		t.Errorf("token requests %d, want 1", n)
	}
	if c := kv.Counts(); c.Challenges != 1 || c.Secrets != 3 || c.Unauthorized != 0 {
		t.Errorf("vault counts %+v, want 1 challenge and 3 secrets", c)
	}
}

func TestConcurrencyBoundHolds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	kv.SetLatency(30 * time.Millisecond) // keeps requests overlapping
	var refs []string
	for i := range 6 {
		name := "s" + string(rune('a'+i))
		f.put(kv, name, "value-"+name+"-123")
		refs = append(refs, "V"+strings.ToUpper(name)+"="+vault+"/secrets/"+name)
	}
	kv.Allow(appIdentity)
	cfg := f.config(refs...)
	cfg.Concurrency = 2
	if _, err := f.run(cfg); err != nil {
		t.Fatal(err)
	}
	if c := kv.Counts(); c.MaxInFlight > 2 || c.Secrets != 6 {
		t.Errorf("vault counts %+v: want 6 secrets with at most 2 requests in flight", c)
	}
}

func TestOneClientPerVaultAndSharedSecretsFetchedOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv1, vault1 := f.vault()
	kv2, vault2 := f.vault()
	old := f.put(kv1, "db", "old-password-1")
	f.put(kv1, "db", "new-password-2")
	f.put(kv2, "api", "api-key-value-3")
	kv1.Allow(appIdentity)
	kv2.Allow(appIdentity)

	out, err := f.run(f.config(
		"DB_PASSWORD="+vault1+"/secrets/db",
		"SPRING_DATASOURCE_PASSWORD="+vault1+"/secrets/db",
		"OLD_PASSWORD="+vault1+"/secrets/db/"+old,
		"API_KEY="+vault2+"/secrets/api",
	))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"DB_PASSWORD": "new-password-2", "SPRING_DATASOURCE_PASSWORD": "new-password-2",
		"OLD_PASSWORD": "old-password-1", "API_KEY": "api-key-value-3",
	} {
		if f.readEnv(name, 0o400) != want {
			t.Errorf("%s holds the wrong value", name)
		}
	}
	if c := kv1.Counts(); c.Secrets != 2 || c.Challenges != 1 {
		t.Errorf("vault 1 counts %+v: want 2 requests (latest once, one version) after 1 challenge", c)
	}
	if c := kv2.Counts(); c.Secrets != 1 || c.Challenges != 1 {
		t.Errorf("vault 2 counts %+v", c)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], vault1) || !strings.Contains(lines[1], vault2) {
		t.Errorf("summary %q: want one line per vault, in reference order", out)
	}
}

func TestRerunOverwritesAndRemovesStaleFiles(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "db", "first-value-abc")
	kv.Allow(appIdentity)
	cfg := f.config("DB="+vault+"/secrets/db", "DB_COPY="+vault+"/secrets/db")
	if _, err := f.run(cfg); err != nil {
		t.Fatal(err)
	}
	// What a crashed or differently configured earlier run may leave behind.
	envDir := filepath.Join(f.dir, "env")
	for _, stale := range []string{"REMOVED_VAR", ".DB.tmp-123"} {
		if err := os.WriteFile(filepath.Join(envDir, stale), []byte("stale"), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	f.put(kv, "db", "second-value-def")
	cfg.Refs = cfg.Refs[:1]
	cfg.FileMode = 0o440
	if _, err := f.run(cfg); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if got := f.readEnv("DB", 0o440); got != "second-value-def" {
		t.Error("rerun did not replace the value")
	}
	if got := entries(t, envDir); !slices.Equal(got, []string{"DB"}) {
		t.Errorf("env dir after rerun holds %v, want only DB", got)
	}
	checkWrapperCopied(t, f)
	if !f.doneExists() {
		t.Error(".done missing after rerun")
	}
}

func TestDoneIsWrittenOnlyAfterEveryValue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "a", "value-a-123456")
	f.put(kv, "b", "value-b-123456")
	kv.Allow(appIdentity)
	cfg := f.config("A="+vault+"/secrets/a", "B="+vault+"/secrets/b")
	if _, err := f.run(cfg); err != nil {
		t.Fatal(err)
	}
	// A non-empty directory where B's file goes makes writing B fail; the
	// .done of the first run must be gone and no new one written.
	blocker := filepath.Join(f.dir, "env", "B")
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := f.run(cfg)
	if err == nil || !strings.Contains(err.Error(), "writing") {
		t.Fatalf("Run with an unwritable value file: err %v, want a writing error", err)
	}
	if f.doneExists() {
		t.Error(".done exists although a value could not be written")
	}
}

func TestConfigErrorsAreReportedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	cfg := f.config("A="+vault+"/secrets/a", "A="+vault+"/secrets/b")
	cfg.FileMode = 0o200
	cfg.Concurrency = 0
	_, err := f.run(cfg)
	for _, s := range []string{"A is referenced twice", "--file-mode", "--concurrency"} {
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Errorf("error %v lacks %q", err, s)
		}
	}
	if c := kv.Counts(); c.Challenges != 0 {
		t.Errorf("vault was contacted despite a bad configuration: %+v", c)
	}
}

func TestNULValueIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kv, vault := f.vault()
	f.put(kv, "bin", "abc\x00defghij")
	f.put(kv, "ok", "fine-value-123")
	kv.Allow(appIdentity)
	_, err := f.run(f.config("BIN="+vault+"/secrets/bin", "OK="+vault+"/secrets/ok"))
	if err == nil || strings.Count(err.Error(), "\n") != 0 || !strings.Contains(err.Error(), "BIN: ") ||
		!strings.Contains(err.Error(), "NUL") {
		t.Fatalf("got %v, want one line naming BIN and the NUL byte", err)
	}
	if kv.Counts().Secrets != 2 {
		t.Errorf("counts %+v: a bad value in one secret must not stop the others", kv.Counts())
	}
}

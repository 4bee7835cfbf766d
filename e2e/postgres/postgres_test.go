package postgres

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestSCRAMLogin proves the verifier computed here lets a real client log
// in with the password, quotes and dollar signs included, and that a wrong
// password is refused: the scenario's database login depends on both.
func TestSCRAMLogin(t *testing.T) {
	if os.Geteuid() != 0 {
		missingPrerequisite(t, "postgres: needs root (tmpfs mount, running as the postgres user)")
	}
	if _, err := BinDir(); err != nil {
		missingPrerequisite(t, err.Error())
	}
	base := t.TempDir()
	// The postgres user must traverse the test's private directories.
	for _, d := range []string{base, filepath.Dir(base)} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := Start(Options{Dir: filepath.Join(base, "pg"), ListenAddr: "127.0.0.1", Port: 55432,
		ClientCIDR: "127.0.0.1/32", LogFile: filepath.Join(base, "postgres.log")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	password := `ThisIsTest#123'"$HOME\` + "x"
	if err := srv.CreateUserAndDatabase("spring_test", password, "spring"); err != nil {
		t.Fatal(err)
	}
	if err := login(srv, "spring_test", password); err != nil {
		t.Fatalf("login with the right password: %v", err)
	}
	if err := login(srv, "spring_test", password+"-wrong"); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
}

// requireEnvs make a missing prerequisite a failure instead of a skip:
// `make test` sets KVENV_REQUIRE_CLUSTER, CI KVENV_REQUIRE_E2E, so that the
// database login cannot silently go untested.
var requireEnvs = []string{"KVENV_REQUIRE_CLUSTER", "KVENV_REQUIRE_E2E"}

// missingPrerequisite skips t, or fails it when a requireEnvs variable is set.
func missingPrerequisite(t *testing.T, msg string) {
	t.Helper()
	for _, env := range requireEnvs {
		if os.Getenv(env) != "" {
			t.Fatalf("%s (%s is set: a missing prerequisite fails)", msg, env)
		}
	}
	t.Skip(msg)
}

// TestBinDirTakesTheHighestMajorVersion: an upgrade installs the new major
// version next to the old one; the server is the newest, compared as
// numbers.
func TestBinDirTakesTheHighestMajorVersion(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"9.6", "15", "16"} {
		if err := os.MkdirAll(filepath.Join(root, v, "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, v, "bin", "postgres"), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A newer version's directory without its server (a client-only package) does not count.
	if err := os.MkdirAll(filepath.Join(root, "17", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := binDirIn(root)
	if want := filepath.Join(root, "16", "bin"); err != nil || got != want {
		t.Errorf("binDirIn = %q, %v; want %s", got, err, want)
	}
}

func TestBinDirSaysWhatToInstall(t *testing.T) {
	_, err := binDirIn(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "hack/install-deps.sh") {
		t.Errorf("no server installed: error %v, want one naming hack/install-deps.sh", err)
	}
}

func login(srv *Server, user, password string) error {
	cfg, err := pgx.ParseConfig("postgres://" + srv.Addr() + "/spring?sslmode=disable")
	if err != nil {
		return err
	}
	cfg.User, cfg.Password = user, password
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}

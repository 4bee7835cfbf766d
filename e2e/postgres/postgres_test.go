package postgres

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestSCRAMLogin proves the verifier computed here lets a real client log
// in with the password, quotes and dollar signs included, and that a wrong
// password is refused: the scenario's database login depends on both.
func TestSCRAMLogin(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("postgres: needs root (tmpfs mount, running as the postgres user)")
	}
	if _, err := os.Stat(filepath.Join(BinDir, "postgres")); err != nil {
		t.Skipf("postgres: %v (install Debian's postgresql-15)", err)
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

// Package postgres runs a real PostgreSQL server (Debian's postgresql, the
// highest major version installed) for kvenv's end-to-end scenario, inside
// the test's private network namespace. Its data lives on a tmpfs mounted in the test's directory: the
// database necessarily stores its user's name, and a memory-backed data
// directory keeps even that off the disk that the leak scan reads.
package postgres

import (
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// DebianRoot holds one directory per installed major version of Debian's
// PostgreSQL server (15/bin, 16/bin, ...): the unversioned postgresql
// package that hack/install-deps.sh installs brings the distribution's
// current one.
const DebianRoot = "/usr/lib/postgresql"

// BinDir is the server binaries' directory of the highest PostgreSQL major
// version installed below DebianRoot.
func BinDir() (string, error) { return binDirIn(DebianRoot) }

// binDirIn is BinDir below root.
func binDirIn(root string) (string, error) {
	dirs, _ := filepath.Glob(filepath.Join(root, "*", "bin", "postgres"))
	if len(dirs) == 0 {
		return "", fmt.Errorf("no PostgreSQL server in %s/*/bin: install Debian's postgresql package (hack/install-deps.sh)", root)
	}
	for i, d := range dirs {
		dirs[i] = filepath.Dir(d)
	}
	return slices.MaxFunc(dirs, func(a, b string) int { return cmp.Compare(majorOf(a), majorOf(b)) }), nil
}

// majorOf is the major version of a bin directory as a number, 15 for
// /usr/lib/postgresql/15/bin, 9.6 for .../9.6/bin: as text, "9.6" would
// sort above "16". A directory that is no version is never preferred.
func majorOf(binDir string) float64 {
	v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	if err != nil {
		return -1
	}
	return v
}

// osUser is the account Debian's package creates; initdb and postgres
// refuse to run as root.
const osUser = "postgres"

// Options say where the server lives and who may connect.
type Options struct {
	Dir        string // created and mounted as a tmpfs; its parents must be traversable by the postgres user
	ListenAddr string // an address inside the private network namespace
	Port       int    // default 5432
	ClientCIDR string // clients allowed to log in with SCRAM (the pod network)
	LogFile    string // the server's stderr (on disk: the leak scan reads it)
}

// Server is a running PostgreSQL.
type Server struct {
	opts   Options
	binDir string
	cred   *syscall.Credential
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start makes a fresh cluster (initdb) and starts the server.
func Start(opts Options) (*Server, error) {
	if opts.Port == 0 {
		opts.Port = 5432
	}
	binDir, err := BinDir()
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	cred, err := postgresCredential()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, binDir: binDir, cred: cred}
	steps := []func() error{s.mountDir, s.initdb, s.writeHBA, s.start, s.waitReady}
	for _, step := range steps {
		if err := step(); err != nil {
			s.Stop()
			return nil, fmt.Errorf("postgres: %w", err)
		}
	}
	return s, nil
}

// Addr is host:port of the server.
func (s *Server) Addr() string { return fmt.Sprintf("%s:%d", s.opts.ListenAddr, s.opts.Port) }

// Port is the server's TCP port.
func (s *Server) Port() int { return s.opts.Port }

func postgresCredential() (*syscall.Credential, error) {
	u, err := user.Lookup(osUser)
	if err != nil {
		return nil, fmt.Errorf("postgres: no %q user (install Debian's postgresql package): %w", osUser, err)
	}
	uid, errU := strconv.Atoi(u.Uid)
	gid, errG := strconv.Atoi(u.Gid)
	if errU != nil || errG != nil {
		return nil, fmt.Errorf("postgres: user %q has a non-numeric uid/gid", osUser)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (s *Server) dataDir() string   { return filepath.Join(s.opts.Dir, "data") }
func (s *Server) socketDir() string { return s.opts.Dir }

// mountDir puts the whole server on a tmpfs owned by the postgres user.
func (s *Server) mountDir() error {
	if err := os.MkdirAll(s.opts.Dir, 0o700); err != nil {
		return err
	}
	if err := syscall.Mount("tmpfs", s.opts.Dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size=256m,mode=0700"); err != nil {
		return fmt.Errorf("mounting a tmpfs on %s: %w", s.opts.Dir, err)
	}
	return os.Chown(s.opts.Dir, int(s.cred.Uid), int(s.cred.Gid))
}

// command runs a PostgreSQL binary as the postgres user.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.binDir, name), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Setpgid: true}
	cmd.Dir = s.opts.Dir
	cmd.Env = []string{"PATH=" + s.binDir + ":/usr/bin:/bin", "HOME=" + s.opts.Dir, "LC_ALL=C.UTF-8"}
	return cmd
}

func (s *Server) initdb() error {
	out, err := s.command("initdb", "-D", s.dataDir(), "-U", osUser, "-E", "UTF8",
		"--auth-local=peer", "--auth-host=scram-sha-256", "--no-sync", "--no-instructions").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return nil
}

// writeHBA allows the postgres superuser on the socket only (peer), and
// every user of every database from the client network with SCRAM only.
func (s *Server) writeHBA() error {
	hba := fmt.Sprintf("local all %s peer\nhost all all %s scram-sha-256\n", osUser, s.opts.ClientCIDR)
	path := filepath.Join(s.dataDir(), "pg_hba.conf")
	if err := os.WriteFile(path, []byte(hba), 0o600); err != nil {
		return err
	}
	return os.Chown(path, int(s.cred.Uid), int(s.cred.Gid))
}

// start runs the server with logging that never names a statement: no
// statement log, and no "STATEMENT:" line after an error.
func (s *Server) start() error {
	logFile, err := os.OpenFile(s.opts.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	s.cmd = s.command("postgres", "-D", s.dataDir(),
		"-c", "listen_addresses="+s.opts.ListenAddr,
		"-c", "port="+strconv.Itoa(s.opts.Port),
		"-c", "unix_socket_directories="+s.socketDir(),
		"-c", "password_encryption=scram-sha-256",
		"-c", "log_statement=none",
		"-c", "log_min_error_statement=panic",
		"-c", "log_connections=off",
		"-c", "log_disconnections=off",
		"-c", "logging_collector=off",
		"-c", "fsync=off")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	s.exited = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	return nil
}

// waitReady polls pg_isready, bounded.
func (s *Server) waitReady() error {
	const attempts, pause = 100, 100 * time.Millisecond
	var out []byte
	for i := 0; i < attempts; i++ {
		select {
		case <-s.exited:
			return fmt.Errorf("the server exited; see %s", s.opts.LogFile)
		default:
		}
		var err error
		if out, err = s.command("pg_isready", "-q", "-h", s.socketDir(), "-p", strconv.Itoa(s.opts.Port)).CombinedOutput(); err == nil {
			return nil
		}
		time.Sleep(pause)
	}
	return fmt.Errorf("not ready after %s: %s (see %s)", attempts*pause, out, s.opts.LogFile)
}

// Stop shuts the server down (fast mode: SIGINT), kills it if it hangs,
// and unmounts its tmpfs, so nothing of the database outlives the test.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			select {
			case <-s.exited:
			case <-time.After(10 * time.Second):
			}
		}
	}
	_ = syscall.Unmount(s.opts.Dir, syscall.MNT_DETACH)
}

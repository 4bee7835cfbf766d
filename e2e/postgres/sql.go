package postgres

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// CreateUserAndDatabase creates a login role with password and a database
// it owns. The password never leaves this process: the server gets its
// SCRAM verifier, and the statements travel over psql's stdin (no command
// line, no file, no history). Errors do not repeat psql's output, which
// could quote the statement and with it the role name.
func (s *Server) CreateUserAndDatabase(role, password, database string) error {
	verifier, err := SCRAMVerifier(password)
	if err != nil {
		return fmt.Errorf("postgres: computing the SCRAM verifier: %w", err)
	}
	sql := fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD %s;\nCREATE DATABASE %s OWNER %s;\n",
		quoteIdent(role), quoteLiteral(verifier), quoteIdent(database), quoteIdent(role))
	cmd := s.command("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", s.socketDir(),
		"-p", strconv.Itoa(s.opts.Port), "-U", osUser, "-d", "postgres", "-f", "-")
	cmd.Stdin = strings.NewReader(sql)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("postgres: creating the role and database %q failed (%v; psql printed %d bytes, withheld)", database, err, out.Len())
	}
	return nil
}

func quoteIdent(s string) string   { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

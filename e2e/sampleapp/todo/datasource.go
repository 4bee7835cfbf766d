package todo

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolConfig turns the Spring datasource settings into a pgx pool
// configuration: jdbc:postgresql://host:port/db[?params] becomes a
// postgres:// URL; user and password are set as fields, never put into the
// URL, so no character of theirs needs escaping. Errors never repeat the
// values, which may be secret.
func PoolConfig(jdbcURL, user, password string) (*pgxpool.Config, error) {
	rest, ok := strings.CutPrefix(jdbcURL, "jdbc:postgresql://")
	if !ok {
		return nil, fmt.Errorf("%s is not a jdbc:postgresql:// URL", EnvURL)
	}
	u, err := url.Parse("postgres://" + rest)
	if err != nil || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%s is not of the form jdbc:postgresql://host[:port]/database", EnvURL)
	}
	if user == "" || password == "" {
		return nil, fmt.Errorf("%s and %s must be set", EnvUsername, EnvPassword)
	}
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("%s: the URL's parameters are not understood", EnvURL)
	}
	cfg.ConnConfig.User = user
	cfg.ConnConfig.Password = password
	cfg.MaxConns = 4
	return cfg, nil
}

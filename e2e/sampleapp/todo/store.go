package todo

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store keeps todos in PostgreSQL.
type Store struct{ pool *pgxpool.Pool }

// schema is the quickstart's table.
const schema = `CREATE TABLE IF NOT EXISTS todo (
	id BIGSERIAL PRIMARY KEY,
	description VARCHAR(255),
	details VARCHAR(4096),
	done BOOLEAN NOT NULL DEFAULT false)`

// Open connects and makes sure the table exists.
func Open(ctx context.Context, cfg *pgxpool.Config) (*Store, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the connection pool: %s", Describe(err))
	}
	if _, err := pool.Exec(ctx, schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("creating table todo: %s", Describe(err))
	}
	return &Store{pool: pool}, nil
}

// Close closes every connection.
func (s *Store) Close() { s.pool.Close() }

// Add stores t and returns it with its new ID.
func (s *Store) Add(ctx context.Context, t Todo) (Todo, error) {
	err := s.pool.QueryRow(ctx, `INSERT INTO todo (description, details, done) VALUES ($1, $2, $3) RETURNING id`,
		t.Description, t.Details, bool(t.Done)).Scan(&t.ID)
	return t, err
}

// List returns every todo in ID order.
func (s *Store) List(ctx context.Context) ([]Todo, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, description, details, done FROM todo ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	todos := []Todo{}
	for rows.Next() {
		var t Todo
		var done bool
		if err := rows.Scan(&t.ID, &t.Description, &t.Details, &done); err != nil {
			return nil, err
		}
		t.Done = FlexBool(done)
		todos = append(todos, t)
	}
	return todos, rows.Err()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Describe says what kind of database error err is without its text: the
// driver's messages name the user and the host, which came from the vault.
func Describe(err error) string {
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr):
		return "PostgreSQL error SQLSTATE " + pgErr.Code
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case pgconn.Timeout(err):
		return "timed out"
	}
	return fmt.Sprintf("%T (details withheld: they may name the user or host)", err)
}

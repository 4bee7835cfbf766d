// Command sampleapp is the tutorial's todo app for kvenv's end-to-end
// scenario (see package todo). Its image sets it as ENTRYPOINT and its
// Deployment sets no command, so kvenv must read the entrypoint from the
// registry. It never logs the datasource values.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kvenv/kvenv/e2e/sampleapp/todo"
)

// Connecting is retried a few times: the database may still be starting.
const (
	connectAttempts = 10
	connectPause    = time.Second
)

func main() {
	logger := log.New(os.Stderr, "", log.LstdFlags)
	if err := run(logger); err != nil {
		logger.Printf("sampleapp: %v", err)
		os.Exit(1)
	}
	logger.Print(todo.StopLine)
	os.Exit(todo.GracefulExitCode)
}

func run(logger *log.Logger) error {
	cfg, err := todo.PoolConfig(os.Getenv(todo.EnvURL), os.Getenv(todo.EnvUsername), os.Getenv(todo.EnvPassword))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	store, err := connect(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	srv := &http.Server{Addr: fmt.Sprintf(":%d", todo.Port), Handler: todo.Handler(store, logger), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }()
	logger.Printf("sampleapp: connected to the database, listening on :%d", todo.Port)
	select {
	case err := <-served:
		return fmt.Errorf("serving HTTP: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("stopping HTTP: %w", err)
	}
	return nil
}

// connect opens the store, retrying a bounded number of times.
func connect(ctx context.Context, cfg *pgxpool.Config, logger *log.Logger) (*todo.Store, error) {
	var err error
	for i := 1; i <= connectAttempts; i++ {
		var store *todo.Store
		attempt, cancel := context.WithTimeout(ctx, 5*time.Second)
		store, err = todo.Open(attempt, cfg)
		cancel()
		if err == nil {
			return store, nil
		}
		logger.Printf("sampleapp: connecting to the database, attempt %d of %d: %v", i, connectAttempts, err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(connectPause):
		}
	}
	return nil, fmt.Errorf("no database connection after %d attempts", connectAttempts)
}

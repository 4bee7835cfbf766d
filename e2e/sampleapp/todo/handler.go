package todo

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"time"
)

// requestTimeout bounds each request's database work.
const requestTimeout = 10 * time.Second

// Handler serves the tutorial's API: POST / and GET /, plus /healthz for
// the readiness probe.
func Handler(s *Store, logger *log.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{$}", func(w http.ResponseWriter, r *http.Request) {
		var t Todo
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&t); err != nil {
			http.Error(w, "want a JSON todo: "+err.Error(), http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
		defer cancel()
		saved, err := s.Add(ctx, t)
		if err != nil {
			logger.Printf("sampleapp: storing a todo: %s", Describe(err))
			http.Error(w, "cannot store the todo", http.StatusInternalServerError)
			return
		}
		writeJSON(w, http.StatusCreated, saved)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
		defer cancel()
		todos, err := s.List(ctx)
		if err != nil {
			logger.Printf("sampleapp: listing todos: %s", Describe(err))
			http.Error(w, "cannot list the todos", http.StatusInternalServerError)
			return
		}
		writeJSON(w, http.StatusOK, todos)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Ping(ctx); err != nil {
			http.Error(w, "database: "+Describe(err), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // the client may have gone
}

package bench

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// profileDirEnv names a directory for CPU profiles of the server, one per
// load phase (KVENV_BENCH_PROFILE=dir): `go tool pprof` them to see where
// the webhook spends its CPU under load.
const profileDirEnv = "KVENV_BENCH_PROFILE"

// profile starts a CPU profile of the server covering most of the phase
// and returns the function that waits for it, saves it, and saves a heap
// profile as the phase ends.
func (e *webhookEnv) profile(b *testing.B, rate float64) func() {
	dir := os.Getenv(profileDirEnv)
	if dir == "" || e.pprofAddr == "" {
		return func() {}
	}
	seconds := max(1, int(benchSeconds().Seconds())-1)
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", e.pprofAddr, seconds)
	path := filepath.Join(dir, fmt.Sprintf("server-rate-%g.pprof", rate))
	done := make(chan error, 1)
	go func() { done <- fetchTo(url, path) }()
	return func() {
		if err := <-done; err != nil {
			b.Errorf("profiling the server: %v", err)
			return
		}
		heap := filepath.Join(dir, fmt.Sprintf("server-rate-%g.heap.pprof", rate))
		if err := fetchTo(fmt.Sprintf("http://%s/debug/pprof/heap", e.pprofAddr), heap); err != nil {
			b.Errorf("profiling the server's heap: %v", err)
		}
		b.Logf("server profiles: %s, %s", path, heap)
	}
}

func fetchTo(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

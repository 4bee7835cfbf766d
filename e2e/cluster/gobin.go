package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kvenv/kvenv/e2e/images"
)

// goBuildTimeout bounds the Go builds of the parent (a cold build cache on
// two cores takes about a minute per binary).
const goBuildTimeout = 10 * time.Minute

// buildGoBinaries builds the pause program and bins into workDir/gobin.
func buildGoBinaries(workDir string, bins []GoBinary) (string, error) {
	dir := filepath.Join(workDir, "gobin")
	ctx, cancel := context.WithTimeout(context.Background(), goBuildTimeout)
	defer cancel()
	all := append([]GoBinary{{Name: pauseBinName, Package: images.PausePackage}}, bins...)
	for _, b := range all {
		if err := images.BuildGo(ctx, b.Package, filepath.Join(dir, b.Name)); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// GoBinaryPath is where the parent put the binary named name (see GoBinary).
func GoBinaryPath(name string) (string, error) {
	dir := os.Getenv(envGoBinDir)
	if dir == "" {
		return "", fmt.Errorf("kvenv e2e: %s is not set: start the program through cluster.RunInNetns or cluster.Main, which build the Go binaries first", envGoBinDir)
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("kvenv e2e: Go binary %q was not built (add it to the GoBinary list of RunInNetns/Main): %w", name, err)
	}
	return p, nil
}

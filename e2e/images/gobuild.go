package images

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// PausePackage is the pod sandbox program of the e2e cluster.
const PausePackage = "github.com/kvenv/kvenv/e2e/images/pause"

// BuildGo builds a main package of this module into out as a static binary
// (CGO_ENABLED=0), so that it runs in an image without libraries. It needs
// the module proxy on a cold cache, so call it before entering a private
// network namespace.
func BuildGo(ctx context.Context, pkg, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, goTool(), "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("images: go build %s: %w\n%s", pkg, err, msg)
	}
	return nil
}

// goTool finds the go command that runs this build, also when PATH lacks it.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "go"
}

// Pause is the sandbox image around a binary built from PausePackage.
func Pause(binary []byte) Spec {
	return Spec{
		Files:      map[string]File{"/pause": {Data: binary, Mode: 0o755}},
		Entrypoint: []string{"/pause"},
		User:       "65535:65535",
	}
}

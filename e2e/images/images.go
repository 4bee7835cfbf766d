// Package images assembles container images for kvenv's end-to-end cluster
// from files of this machine (static binaries), without a base image or a
// container engine, and pushes them to the cluster's registry.
package images

import (
	"fmt"
	"os"
	"path"
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// DefaultPath is the PATH an image gets when its Spec sets none.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// File is one regular file of an image.
type File struct {
	Data []byte
	Mode int64 // permission bits, e.g. 0o755 for a binary
}

// Spec describes a single-layer image. Parent directories are created 0755
// unless Dirs names them with another mode.
type Spec struct {
	Files      map[string]File   // absolute path in the image → content
	Symlinks   map[string]string // absolute path in the image → link target
	Dirs       map[string]int64  // absolute path in the image → mode (e.g. /tmp 0o1777)
	Entrypoint []string
	Cmd        []string
	User       string
	Env        []string // KEY=VALUE; DefaultPath is added when PATH is absent
	WorkingDir string
}

// Build turns spec into an image for this machine's platform: containerd
// ignores images whose config names no OS and architecture.
func Build(spec Spec) (v1.Image, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	layer, err := spec.layer()
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, fmt.Errorf("images: appending the layer: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("images: reading the new image's config: %w", err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", runtime.GOARCH
	cfg.Config = v1.Config{
		Entrypoint: spec.Entrypoint,
		Cmd:        spec.Cmd,
		User:       spec.User,
		Env:        withDefaultPath(spec.Env),
		WorkingDir: spec.WorkingDir,
	}
	return mutate.ConfigFile(img, cfg)
}

func (s Spec) validate() error {
	seen := map[string]string{}
	check := func(kind, p string) error {
		if !path.IsAbs(p) || path.Clean(p) != p || p == "/" {
			return fmt.Errorf("images: %s path %q must be absolute and clean", kind, p)
		}
		if other, dup := seen[p]; dup {
			return fmt.Errorf("images: %q is both a %s and a %s", p, other, kind)
		}
		seen[p] = kind
		return nil
	}
	for p := range s.Files {
		if err := check("file", p); err != nil {
			return err
		}
	}
	for p := range s.Symlinks {
		if err := check("symlink", p); err != nil {
			return err
		}
	}
	for p := range s.Dirs {
		if err := check("directory", p); err != nil {
			return err
		}
	}
	return nil
}

func withDefaultPath(env []string) []string {
	for _, kv := range env {
		if len(kv) >= 5 && kv[:5] == "PATH=" {
			return env
		}
	}
	return append([]string{DefaultPath}, env...)
}

// FileFromDisk reads a file of this machine (a built binary, say) with its
// permission bits.
func FileFromDisk(path string) (File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return File{}, fmt.Errorf("images: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return File{}, fmt.Errorf("images: %w", err)
	}
	return File{Data: data, Mode: int64(st.Mode().Perm())}, nil
}

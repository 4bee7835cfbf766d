package fetch

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kvenv/kvenv/internal/layout"
)

// volume writes the pod's kvenv volume. Kubelet restarts a failed init
// container with the volume as it was left, so every write replaces a whole
// file by rename (a reader never sees half a file) and a rerun overwrites
// rather than appends.
type volume struct {
	dir  string      // where layout.MountPath is mounted in this container
	mode fs.FileMode // of the value files
}

// path maps a layout path (under layout.MountPath) into this volume.
func (v volume) path(layoutPath string) string {
	return filepath.Join(v.dir, strings.TrimPrefix(layoutPath, layout.MountPath))
}

// dirMode is the mode of the volume's directories (webhook/doc.go says
// why): every reader of the value files must get in, and only kvenv-init's
// user, who owns them, may write.
const dirMode = 0o755

// begin forgets any earlier completion, so kvenv-exec cannot start on a
// rerun's half-written state, and installs the wrapper.
func (v volume) begin(execSource string) error {
	if err := os.Remove(v.path(layout.DoneFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the previous run's %s: %w", layout.DoneFile, err)
	}
	for _, d := range []string{layout.BinDir, layout.EnvDir} {
		if err := makeDir(v.path(d)); err != nil {
			return err
		}
	}
	src, err := os.Open(execSource)
	if err != nil {
		return fmt.Errorf("opening the wrapper to copy (--exec-source): %w", err)
	}
	defer src.Close()
	return writeFile(v.path(layout.ExecPath), src, 0o555)
}

// finish writes one file per variable, removes files a previous run left for
// variables no longer referenced, and writes the .done marker last.
func (v volume) finish(values map[string]string) error {
	envDir := v.path(layout.EnvDir)
	for name, value := range values {
		if err := writeFile(filepath.Join(envDir, name), strings.NewReader(value), v.mode); err != nil {
			return err
		}
	}
	if err := removeOthers(envDir, values); err != nil {
		return err
	}
	return writeFile(v.path(layout.DoneFile), strings.NewReader("done\n"), 0o444)
}

// makeDir creates dir with dirMode whatever the umask, which MkdirAll
// applies and which would lock out the targets' users if it took group or
// other read. The setgid bit a new directory inherits stays: with a pod
// fsGroup the kubelet makes the volume setgid, so the files kvenv-init
// writes get the fsGroup the targets read them through.
func makeDir(dir string) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	st, err := os.Stat(dir)
	if err == nil {
		err = os.Chmod(dir, st.Mode()&fs.ModeSetgid|dirMode)
	}
	if err != nil {
		return fmt.Errorf("setting the mode of %s: %w", dir, err)
	}
	return nil
}

func removeOthers(dir string, keep map[string]string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("listing %s: %w", dir, err)
	}
	for _, e := range entries {
		if _, ok := keep[e.Name()]; !ok {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("removing stale %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}

// writeFile replaces path with content through a temporary file and a rename.
// Errors name the path only, never the content.
func writeFile(path string, content io.Reader, mode fs.FileMode) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	if _, err = io.Copy(tmp, content); err != nil {
		tmp.Close()
		return err
	}
	if err = tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

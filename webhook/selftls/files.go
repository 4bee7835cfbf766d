package selftls

import (
	"bytes"
	"os"
	"path/filepath"
)

// writeServingFiles puts the serving certificate where the webhook server's
// certificate watcher reads it. Each file is replaced by a rename, so the
// watcher never reads half a file; unchanged files are left alone, so a
// replica that merely re-read the Secret causes no reload.
func writeServingFiles(dir string, kp *keyPair) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// The key first: a watcher that reads between the two renames sees a new
	// key with the old certificate, rejects the pair and keeps serving the old one.
	if err := replaceFile(filepath.Join(dir, KeyServingKey), kp.keyPEM, 0o600); err != nil {
		return err
	}
	return replaceFile(filepath.Join(dir, KeyServingCert), kp.certPEM, 0o644)
}

func replaceFile(path string, data []byte, mode os.FileMode) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

package fetch

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// checkDirModes fails the test unless the volume's directories have mode want.
func checkDirModes(t *testing.T, dir string, want fs.FileMode) {
	t.Helper()
	for _, d := range []string{"bin", "env"} {
		st, err := os.Stat(filepath.Join(dir, d))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != fs.ModeDir|want {
			t.Errorf("%s has mode %v, want %v", d, st.Mode(), fs.ModeDir|want)
		}
	}
}

// runOnce fetches one secret into f's volume.
func runOnce(t *testing.T, f *fixture) {
	t.Helper()
	kv, vault := f.vault()
	f.put(kv, "db", "value-db-dirmode")
	kv.Allow(appIdentity)
	if _, err := f.run(f.config("DB=" + vault + "/secrets/db")); err != nil {
		t.Fatal(err)
	}
}

// TestDirectoriesHaveTheirModeWhateverTheUmask: a umask that takes group or
// other read would lock the targets' users out of the value files.
// Not parallel: the umask belongs to the whole test process.
func TestDirectoriesHaveTheirModeWhateverTheUmask(t *testing.T) {
	f := newFixture(t)
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	runOnce(t, f)
	checkDirModes(t, f.dir, dirMode)
}

// TestDirectoriesKeepTheSetgidBit: with a pod fsGroup the kubelet makes the
// volume setgid, which the directories inherit; without it the value files
// would get kvenv-init's own group, not the fsGroup the targets read
// through.
func TestDirectoriesKeepTheSetgidBit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := os.Chmod(f.dir, fs.ModeSetgid|0o777); err != nil {
		t.Fatal(err)
	}
	runOnce(t, f)
	checkDirModes(t, f.dir, fs.ModeSetgid|dirMode)
}

// TestDirectoryModeIsTheDocumentedOne keeps webhook/doc.go, which tells
// security readers who can get at the value files, true to the code.
func TestDirectoryModeIsTheDocumentedOne(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "webhook", "doc.go"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(strings.ReplaceAll(string(doc), "//", "")), " ")
	m := regexp.MustCompile(`The directories it creates \(bin, env\)[^.]*? (0[0-7]{3}) in every case`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("webhook/doc.go no longer says the mode of the volume's directories")
	}
	if got, want := m[1], fmt.Sprintf("%#o", dirMode); got != want {
		t.Errorf("webhook/doc.go says the directories are %s, kvenv-init makes them %s", got, want)
	}
}

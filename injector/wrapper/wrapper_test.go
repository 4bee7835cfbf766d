package wrapper

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Process-level behaviour (exec, PID, signals, exit codes) is tested on the
// built binary in cmd/kvenv-exec; these tests cover the pieces before exec.

func TestMergeReplacesInPlaceDropsDuplicatesAppendsSorted(t *testing.T) {
	t.Parallel()
	environ := []string{"PATH=/bin", "A=old", "KEEP=1", "A=dup", "NOEQUALS"}
	got := merge(environ, map[string]string{"A": "new=with=equals", "Z": "z", "B": "line\nbreak"})
	want := []string{"PATH=/bin", "A=new=with=equals", "KEEP=1", "NOEQUALS", "B=line\nbreak", "Z=z"}
	if !slices.Equal(got, want) {
		t.Errorf("merge = %q\nwant %q", got, want)
	}
}

func TestValidName(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"A": true, "_x1": true, "SPRING_DATASOURCE_PASSWORD": true,
		"": false, "1A": false, "A-B": false, ".A.tmp-1": false, "A=B": false, "É": false,
	} {
		if validName(s) != want {
			t.Errorf("validName(%q) = %v", s, !want)
		}
	}
}

func TestLookPathSearchesTheGivenEnvironment(t *testing.T) {
	t.Parallel()
	dir1, dir2 := t.TempDir(), t.TempDir()
	write := func(path string, mode os.FileMode) {
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir1, "prog"), 0o644) // not executable: skipped
	write(filepath.Join(dir2, "prog"), 0o755)
	if err := os.Mkdir(filepath.Join(dir1, "tool"), 0o755); err != nil { // a directory: skipped
		t.Fatal(err)
	}

	cases := []struct {
		file, path string
		want       string
		found      bool
	}{
		{"prog", dir1 + ":" + dir2, dir2 + "/prog", true},
		{"tool", dir1, "", false},
		{"prog", "", "", false},
		{"./relative/x", "/nowhere", "./relative/x", true},
	}
	for _, c := range cases {
		got, found := lookPath(c.file, []string{"PATH=" + c.path})
		if got != c.want || found != c.found {
			t.Errorf("lookPath(%q, PATH=%q) = %q, %v; want %q, %v", c.file, c.path, got, found, c.want, c.found)
		}
	}
	if got := searchPath([]string{"HOME=/"}); got != defaultPath {
		t.Errorf("no PATH at all: searched %q, want the runtime default", got)
	}
}

func TestReadValuesRejectsWhatTheInitContainerNeverWrites(t *testing.T) {
	t.Parallel()
	cases := map[string]func(dir string) error{
		"bad name":  func(dir string) error { return os.WriteFile(filepath.Join(dir, "A-B"), []byte("x"), 0o400) },
		"directory": func(dir string) error { return os.Mkdir(filepath.Join(dir, "SUB"), 0o755) },
		"symlink":   func(dir string) error { return os.Symlink("/etc/hostname", filepath.Join(dir, "LINK")) },
		"NUL":       func(dir string) error { return os.WriteFile(filepath.Join(dir, "N"), []byte("a\x00b-secret"), 0o400) },
	}
	for name, setup := range cases {
		dir := t.TempDir()
		if err := setup(dir); err != nil {
			t.Fatal(err)
		}
		_, err := readValues(dir)
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "b-secret") {
			t.Errorf("%s: error shows the value", name)
		}
	}
}

func TestMainRefusesBeforeExec(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var stderr bytes.Buffer
	if code := Main([]string{"--", "true"}, []string{DirEnv + "=" + dir}, &stderr); code != ExitCannotRun ||
		!strings.Contains(stderr.String(), filepath.Join(dir, ".done")+" is missing") {
		t.Errorf("no .done: code %d stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if err := os.WriteFile(filepath.Join(dir, ".done"), nil, 0o444); err != nil {
		t.Fatal(err)
	}
	if code := Main([]string{"--", "true"}, []string{DirEnv + "=" + dir}, &stderr); code != ExitCannotRun ||
		!strings.Contains(stderr.String(), "reading "+filepath.Join(dir, "env")) {
		t.Errorf(".done without env dir: code %d stderr %q", code, stderr.String())
	}
}

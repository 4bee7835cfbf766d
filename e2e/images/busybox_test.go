package images

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestBusyboxLinksTheShellAndApplets(t *testing.T) {
	if _, err := os.Stat(BusyboxPath); err != nil {
		if os.Getenv("KVENV_REQUIRE_E2E") != "" || os.Getenv("KVENV_REQUIRE_CLUSTER") != "" {
			t.Fatalf("%s missing: install Debian's busybox-static", BusyboxPath)
		}
		t.Skipf("%s missing: install Debian's busybox-static", BusyboxPath)
	}
	spec, err := Busybox()
	if err != nil {
		t.Fatal(err)
	}
	for _, applet := range []string{"/bin/sh", "/bin/cat", "/usr/bin/wget"} {
		if target := spec.Symlinks[applet]; target != BusyboxPath {
			t.Errorf("%s links to %q, want %s", applet, target, BusyboxPath)
		}
	}
	if _, self := spec.Symlinks[BusyboxPath]; self {
		t.Errorf("%s links to itself", BusyboxPath)
	}
	if spec.Files[BusyboxPath].Mode != 0o755 || spec.Dirs["/tmp"] != 0o1777 {
		t.Errorf("busybox mode %o, /tmp mode %o; want 755 and 1777", spec.Files[BusyboxPath].Mode, spec.Dirs["/tmp"])
	}
}

func TestRequireStaticRejectsADynamicBinary(t *testing.T) {
	if err := requireStatic("/usr/bin/env"); err == nil {
		t.Fatal("requireStatic accepted Debian's dynamically linked /usr/bin/env")
	}
}

func TestPauseBuildsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	out := filepath.Join(t.TempDir(), "pause")
	if err := BuildGo(context.Background(), PausePackage, out); err != nil {
		t.Fatal(err)
	}
	if err := requireStatic(out); err != nil {
		t.Fatal(err)
	}
}

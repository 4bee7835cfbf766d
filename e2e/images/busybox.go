package images

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// BusyboxPath is the static busybox of Debian's busybox-static package.
const BusyboxPath = "/bin/busybox"

// Busybox is a shell image: the static busybox with every applet it lists
// linked to it (sh, cat, wget, ...), a world-writable /tmp, and sh as CMD.
func Busybox() (Spec, error) {
	data, err := os.ReadFile(BusyboxPath)
	if err != nil {
		return Spec{}, fmt.Errorf("images: reading %s (install Debian's busybox-static): %w", BusyboxPath, err)
	}
	if err := requireStatic(BusyboxPath); err != nil {
		return Spec{}, err
	}
	out, err := exec.Command(BusyboxPath, "--list-full").Output()
	if err != nil {
		return Spec{}, fmt.Errorf("images: listing the applets of %s: %w", BusyboxPath, err)
	}
	links := map[string]string{}
	for _, applet := range strings.Fields(string(out)) {
		if p := "/" + applet; p != BusyboxPath {
			links[p] = BusyboxPath
		}
	}
	return Spec{
		Files:    map[string]File{BusyboxPath: {Data: data, Mode: 0o755}},
		Symlinks: links,
		Dirs:     map[string]int64{"/tmp": 0o1777},
		Cmd:      []string{"sh"},
	}, nil
}

// requireStatic refuses a dynamically linked binary: the images hold no
// libraries, so it could not start.
func requireStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("images: %s is not an ELF binary: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("images: %s is dynamically linked; images need static binaries", path)
		}
	}
	return nil
}

package wrapper

import (
	"slices"
	"syscall"
)

// The wrapper's few file operations, on package syscall rather than os: os
// brings package initialisation (internal/godebug, internal/poll, time) and
// code (0.28 MB of the binary) that every container start pays for before
// the app runs. Errors are bare errnos; callers add the path, never a
// file's content.

// fileMode is stat(2)'s mode of path; an lstat when a symlink must not be
// followed.
func fileMode(path string, followSymlink bool) (uint32, error) {
	var st syscall.Stat_t
	err := retryEINTR(func() error {
		if followSymlink {
			return syscall.Stat(path, &st)
		}
		return syscall.Lstat(path, &st)
	})
	return st.Mode, err
}

func isRegular(mode uint32) bool { return mode&syscall.S_IFMT == syscall.S_IFREG }

// scratchSize is a variable so that make puts the scratch buffer on the
// heap: a constant size would put it on the stack, and growing the stack for
// it costs more (fresh pages to copy the stack into). In a process that
// lives about a millisecond, fresh pages are what allocations cost: the
// volume is read through this one buffer.
var scratchSize = 4 << 10

func newScratch() []byte { return make([]byte, scratchSize) }

// readDirNames lists dir's entries (without . and ..) in name order, so the
// first bad entry reported is always the same one.
func readDirNames(dir string, scratch []byte) ([]string, error) {
	fd, err := open(dir, syscall.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	var names []string
	for {
		n, err := read(fd, scratch, syscall.ReadDirent)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		_, _, names = syscall.ParseDirent(scratch[:n], -1, names)
	}
	slices.Sort(names)
	return names, nil
}

// readFile returns path's content, not following a symlink. The content is
// in scratch when it fits (valid until scratch is used again), in a larger
// buffer otherwise.
func readFile(path string, scratch []byte) ([]byte, error) {
	fd, err := open(path, syscall.O_NOFOLLOW)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	b := scratch[:0]
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, max(cap(b), 512))
		}
		n, err := read(fd, b[len(b):cap(b)], syscall.Read)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

func open(path string, flags int) (int, error) {
	var fd int
	err := retryEINTR(func() (err error) {
		fd, err = syscall.Open(path, flags|syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		return err
	})
	return fd, err
}

func read(fd int, buf []byte, readFn func(int, []byte) (int, error)) (int, error) {
	var n int
	err := retryEINTR(func() (err error) {
		n, err = readFn(fd, buf)
		return err
	})
	return n, err
}

// retryEINTR repeats f while a signal interrupts it: the Go runtime's own
// signals (preemption) can interrupt an open or read on some file systems.
func retryEINTR(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}

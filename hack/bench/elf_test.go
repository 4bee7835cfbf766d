package bench

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// exitCode is the machine code of exit(0) for each architecture the tiny
// target supports: the target's first instructions are its last.
var exitCode = map[string]struct {
	machine elf.Machine
	code    []byte
}{
	// mov eax, 60 (exit); xor edi, edi; syscall
	"amd64": {elf.EM_X86_64, []byte{0xb8, 0x3c, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05}},
	// mov x8, #93 (exit); mov x0, #0; svc #0
	"arm64": {elf.EM_AARCH64, []byte{0xa8, 0x0b, 0x80, 0xd2, 0x00, 0x00, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4}},
}

// writeTinyTarget writes a static ELF executable of one page that exits 0
// at once: no loader, no runtime, so running it costs only what the kernel
// charges for fork, exec and exit, and any time added in front of it is the
// wrapper's.
func writeTinyTarget(b *testing.B, dir string) string {
	arch, ok := exitCode[runtime.GOARCH]
	if !ok {
		b.Skipf("no tiny target for %s", runtime.GOARCH)
	}
	const base = 0x400000
	headers := uint64(binary.Size(elf.Header64{}) + binary.Size(elf.Prog64{}))
	size := headers + uint64(len(arch.code))
	var buf bytes.Buffer
	ident := [elf.EI_NIDENT]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)}
	binary.Write(&buf, binary.LittleEndian, elf.Header64{
		Ident: ident, Type: uint16(elf.ET_EXEC), Machine: uint16(arch.machine), Version: uint32(elf.EV_CURRENT),
		Entry: base + headers, Phoff: uint64(binary.Size(elf.Header64{})),
		Ehsize: uint16(binary.Size(elf.Header64{})), Phentsize: uint16(binary.Size(elf.Prog64{})), Phnum: 1,
	})
	binary.Write(&buf, binary.LittleEndian, elf.Prog64{
		Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X),
		Vaddr: base, Paddr: base, Filesz: size, Memsz: size, Align: 0x1000,
	})
	buf.Write(arch.code)
	path := filepath.Join(dir, "tiny-target")
	if err := os.WriteFile(path, buf.Bytes(), 0o755); err != nil {
		b.Fatal(err)
	}
	return path
}

package images

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// layer writes the spec as one tar layer. Entries are sorted and carry no
// timestamps or owners, so the same spec always gives the same digest.
func (s Spec) layer() (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range s.headers() {
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("images: writing %s: %w", h.Name, err)
		}
		if f, ok := s.Files["/"+h.Name]; ok {
			if _, err := tw.Write(f.Data); err != nil {
				return nil, fmt.Errorf("images: writing %s: %w", h.Name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("images: closing the layer: %w", err)
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}

// headers lists every entry, parents before children.
func (s Spec) headers() []*tar.Header {
	entries := map[string]*tar.Header{}
	for p, mode := range s.Dirs {
		entries[p] = &tar.Header{Typeflag: tar.TypeDir, Mode: mode}
	}
	for p, f := range s.Files {
		entries[p] = &tar.Header{Typeflag: tar.TypeReg, Mode: f.Mode, Size: int64(len(f.Data))}
	}
	for p, target := range s.Symlinks {
		entries[p] = &tar.Header{Typeflag: tar.TypeSymlink, Mode: 0o777, Linkname: target}
	}
	for p := range entries {
		for dir := path.Dir(p); dir != "/"; dir = path.Dir(dir) {
			if _, ok := entries[dir]; !ok {
				entries[dir] = &tar.Header{Typeflag: tar.TypeDir, Mode: 0o755}
			}
		}
	}
	names := make([]string, 0, len(entries))
	for p := range entries {
		names = append(names, p)
	}
	sort.Strings(names)
	headers := make([]*tar.Header, 0, len(names))
	for _, p := range names {
		h := entries[p]
		h.Name = strings.TrimPrefix(p, "/")
		if h.Typeflag == tar.TypeDir {
			h.Name += "/"
		}
		h.Format = tar.FormatPAX
		headers = append(headers, h)
	}
	return headers
}

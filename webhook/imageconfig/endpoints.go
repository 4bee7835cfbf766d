package imageconfig

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// endpoint is one place to read an image from: a mirror or its registry.
type endpoint struct {
	host string // registry host, for messages and credential matching
	ref  name.Reference
	repo name.Repository
}

// endpoints lists the configured mirrors of ref's registry, then the
// registry itself. Air-gapped clusters reach the mirror without first
// waiting on a registry they cannot reach.
func (r *Resolver) endpoints(ref name.Reference) []endpoint {
	var eps []endpoint
	for _, m := range r.mirrors[ref.Context().RegistryStr()] {
		// Mirrors were checked in New; an error here cannot happen.
		if mref, err := r.mirrorRef(m, ref); err == nil {
			eps = append(eps, endpointFor(mref))
		}
	}
	return append(eps, endpointFor(ref))
}

func endpointFor(ref name.Reference) endpoint {
	return endpoint{host: ref.Context().RegistryStr(), ref: ref, repo: ref.Context()}
}

// mirrorRef is ref at mirror ("host[:port][/path-prefix]"), with the same
// repository path, tag or digest.
func (r *Resolver) mirrorRef(mirror string, ref name.Reference) (name.Reference, error) {
	sep := ":"
	if _, ok := ref.(name.Digest); ok {
		sep = "@"
	}
	return r.parseRef(mirror + "/" + ref.Context().RepositoryStr() + sep + ref.Identifier())
}

// mirrorMap normalizes registry names (docker.io is index.docker.io to the
// client) and checks every mirror once, here, instead of on each look-up.
func (r *Resolver) mirrorMap(in map[string][]string) (map[string][]string, error) {
	out := make(map[string][]string, len(in))
	probe := name.MustParseReference("kvenv/probe:latest")
	for host, mirrors := range in {
		reg, err := name.NewRegistry(host)
		if err != nil {
			return nil, fmt.Errorf("imageconfig: mirrors: registry %q: %w", host, err)
		}
		for _, m := range mirrors {
			if _, err := r.mirrorRef(strings.TrimSuffix(m, "/"), probe); err != nil {
				return nil, fmt.Errorf("imageconfig: mirror %q of %s: %w", m, host, err)
			}
			out[reg.RegistryStr()] = append(out[reg.RegistryStr()], strings.TrimSuffix(m, "/"))
		}
	}
	return out, nil
}

// hostSet normalizes registry hosts the way image references are.
func hostSet(hosts []string) (map[string]bool, error) {
	set := make(map[string]bool, len(hosts))
	for _, h := range hosts {
		reg, err := name.NewRegistry(h)
		if err != nil {
			return nil, fmt.Errorf("imageconfig: insecure host %q: %w", h, err)
		}
		set[reg.RegistryStr()] = true
	}
	return set, nil
}

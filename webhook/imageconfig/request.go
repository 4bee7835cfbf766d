package imageconfig

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kvenv/kvenv/webhook"
)

// scopeShared is the scope of anonymous access and of kvenv's own identity:
// every namespace gets the same answer from them.
const scopeShared = "shared"

// secretScope is the scope of what one pull secret proved.
func secretScope(namespace, secret string) string {
	return "secret:" + namespace + "/" + secret
}

// request is one ImageRequest, parsed.
type request struct {
	webhook.ImageRequest
	ref          name.Reference // the image's own registry, before mirrors
	platform     v1.Platform
	readsSecrets bool // whether pull secrets take part (Options.Secrets set)
}

func (r *Resolver) parse(req webhook.ImageRequest) (*request, error) {
	q := &request{ImageRequest: req, readsSecrets: r.opts.Secrets != nil}
	// The handler fills the platform; linux/amd64 is the kubelet's most
	// common one and what registries serve by default.
	q.platform = v1.Platform{OS: orDefault(req.OS, "linux"), Architecture: orDefault(req.Arch, "amd64")}
	if q.ServiceAccount == "" {
		q.ServiceAccount = "default"
	}
	ref, err := r.parseRef(req.Image)
	if err != nil {
		return nil, q.explain(&lookupFailure{kind: failNotFound, attempts: []string{"not a valid image reference: " + err.Error()}})
	}
	q.ref = ref
	return q, nil
}

// parseRef parses an image reference, allowing plain HTTP only for the
// hosts configured insecure.
func (r *Resolver) parseRef(s string) (name.Reference, error) {
	ref, err := name.ParseReference(s)
	if err != nil || !r.insecure[ref.Context().RegistryStr()] {
		return ref, err
	}
	return name.ParseReference(s, name.Insecure)
}

// digest returns the digest the reference pins, if any.
func (q *request) digest() (v1.Hash, bool) {
	d, ok := q.ref.(name.Digest)
	if !ok {
		return v1.Hash{}, false
	}
	h, err := v1.NewHash(d.DigestStr())
	return h, err == nil
}

// podScopes are the scopes a request holds without reading anything: the
// shared one and the pull secrets the pod names.
func (q *request) podScopes() []string {
	scopes := []string{scopeShared}
	if q.readsSecrets {
		for _, s := range q.PullSecrets {
			scopes = append(scopes, secretScope(q.Namespace, s))
		}
	}
	return scopes
}

// flightKey groups requests that may share one look-up: same image and
// platform, and, when pull secrets are read, the same namespace, service
// account and secrets, so that no request gets an answer its own
// credentials did not earn.
func (q *request) flightKey() string {
	key := []string{q.ref.Name(), q.platform.String()}
	if q.readsSecrets {
		key = append(key, q.Namespace, q.ServiceAccount)
		key = append(key, q.PullSecrets...)
	}
	return strings.Join(key, "\x00")
}

func (q *request) configKey(digest v1.Hash) configKey {
	return configKey{repo: q.ref.Context().Name(), digest: digest, platform: q.platform.String()}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

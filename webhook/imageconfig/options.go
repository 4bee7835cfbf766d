package imageconfig

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
)

// Defaults, each chosen for the 10s admission webhook timeout.
const (
	// DefaultTagTTL bounds how stale a tag→digest answer may be. A rollout
	// admits its pods within seconds, so 30s turns a burst of 100 pods into
	// one registry look-up, while a tag pushed again (`:latest`, policy
	// Always) is seen on the next rollout, which rarely follows a push
	// within 30s.
	DefaultTagTTL = 30 * time.Second
	// DefaultMaxEntries bounds each cache (tag→digest and digest→config);
	// an entry is a name, a digest and two short argv lists.
	DefaultMaxEntries = 1024
	// DefaultLookupTimeout leaves half of the webhook's 10s to everything
	// else, so kvenv answers with advice before the API server gives up.
	DefaultLookupTimeout = 5 * time.Second
	// MaxLookupTimeout: a longer look-up would let the API server time out
	// first and apply the failure policy, which hides kvenv's advice.
	MaxLookupTimeout = 8 * time.Second
	// DefaultACRScope is the Entra ID audience that ACR's token exchange takes.
	DefaultACRScope = "https://containerregistry.azure.net/.default"
)

// SecretReader reads the pull secrets the kubelet would use. The admission
// handler implements it with a Kubernetes client.
type SecretReader interface {
	// Secret returns namespace/name (kubernetes.io/dockerconfigjson or
	// kubernetes.io/dockercfg secrets are used, others ignored).
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	// ServiceAccountPullSecrets returns the imagePullSecrets names of a
	// service account, in order.
	ServiceAccountPullSecrets(ctx context.Context, namespace, serviceAccount string) ([]string, error)
}

// ACROptions configure the webhook's own identity for Azure Container
// Registry: an Entra ID access token exchanged for an ACR refresh token.
type ACROptions struct {
	// Credential is kvenv's identity; nil means ACR is tried anonymously
	// (after any pull secrets) like every other registry.
	Credential azcore.TokenCredential
	// Hosts are registries, beyond *.azurecr.io/.cn/.us, that take the
	// exchange (an ACR behind a custom domain). The identity's token is
	// only ever sent to these hosts and ACR's own domains.
	Hosts []string
	// Scope is the token audience; DefaultACRScope when empty.
	Scope string
}

// Options configure a Resolver. The zero value works: anonymous pulls,
// default cache sizes and timeouts, system CA roots.
type Options struct {
	// Secrets reads pull secrets; nil means they are not read (reading
	// Secrets is opt-in in the chart) and only ACR and anonymous pulls work.
	Secrets SecretReader
	ACR     ACROptions
	// TagTTL: see DefaultTagTTL.
	TagTTL time.Duration
	// MaxEntries bounds each cache; see DefaultMaxEntries.
	MaxEntries int
	// LookupTimeout bounds one registry look-up, all mirrors and
	// credentials included; see DefaultLookupTimeout and MaxLookupTimeout.
	LookupTimeout time.Duration
	// Mirrors maps a registry host (docker.io, ghcr.io, ...) to mirrors tried
	// in order before it, each "host[:port][/path-prefix]".
	Mirrors map[string][]string
	// InsecureHosts may be reached over plain HTTP; every other host must
	// use HTTPS, loopback and private addresses included.
	InsecureHosts []string
	// CABundle holds extra PEM roots, added to the system's.
	CABundle []byte
	// Transport replaces the default HTTPS transport (a proxy, tests);
	// CABundle cannot be combined with it.
	Transport http.RoundTripper
	// Registerer receives the look-up metrics; nil means not registered.
	Registerer prometheus.Registerer
}

func (o Options) withDefaults() (Options, error) {
	if o.TagTTL == 0 {
		o.TagTTL = DefaultTagTTL
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.LookupTimeout == 0 {
		o.LookupTimeout = DefaultLookupTimeout
	}
	if o.ACR.Scope == "" {
		o.ACR.Scope = DefaultACRScope
	}
	switch {
	case o.TagTTL < 0:
		return o, fmt.Errorf("imageconfig: TagTTL %v is negative", o.TagTTL)
	case o.MaxEntries < 0:
		return o, fmt.Errorf("imageconfig: MaxEntries %d is negative", o.MaxEntries)
	case o.LookupTimeout < 0 || o.LookupTimeout > MaxLookupTimeout:
		return o, fmt.Errorf("imageconfig: LookupTimeout %v must be between 0 and %v, inside the webhook's 10s timeout", o.LookupTimeout, MaxLookupTimeout)
	case o.Transport != nil && len(o.CABundle) > 0:
		return o, fmt.Errorf("imageconfig: CABundle cannot be applied to a custom Transport; configure its roots there")
	}
	return o, nil
}

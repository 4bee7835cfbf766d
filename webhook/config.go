package webhook

import (
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Platform is an OS/architecture pair, as in an image index.
type Platform struct {
	OS, Arch string
}

// Config is the cluster-wide part of the mutation: set once by flags (serve
// and render share them), the same for every pod.
type Config struct {
	// InjectorImage is the kvenv image (kvenv, kvenv-exec) run as the init
	// container. It has no default: it must match the deployed webhook.
	InjectorImage      string
	InjectorPullPolicy corev1.PullPolicy
	// VaultDNSSuffix turns a vault name into a host: <name>.<suffix>.
	VaultDNSSuffix string
	// AuthorityHost and DisableInstanceDiscovery are handed to the init
	// container for sovereign and private clouds.
	AuthorityHost            string
	DisableInstanceDiscovery bool
	// CABundle is PEM (public data) the init container trusts in addition to
	// the system roots; it travels in the env KVENV_CA_BUNDLE.
	CABundle        string
	InitResources   corev1.ResourceRequirements
	VolumeSizeLimit resource.Quantity
	// AllowedVaults are vault names or hosts. Empty: any host under
	// VaultDNSSuffix. A host outside the suffix (a private endpoint, a test
	// server) is allowed only when listed.
	AllowedVaults []string
	// MaxReferences bounds the kvenv.io/env.* annotations of one pod.
	MaxReferences int
	// FetchTimeout bounds the init container's whole fetch.
	FetchTimeout time.Duration
	// DefaultPlatform is assumed for image look-ups when the pod selects none.
	DefaultPlatform Platform
}

// DefaultConfig is the configuration with every default filled in except
// the injector image.
func DefaultConfig() Config {
	return Config{
		InjectorPullPolicy: corev1.PullIfNotPresent,
		VaultDNSSuffix:     "vault.azure.net",
		InitResources: corev1.ResourceRequirements{
			// The init container is one Go process making a handful of HTTPS
			// calls: ~10-20 MiB resident while it runs, CPU only for TLS. Small
			// requests keep it from raising the pod's scheduling footprint
			// (the larger of init and app requests counts); the limits leave
			// room for the SDK, TLS buffers and the values it writes.
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("10m"),
				corev1.ResourceMemory: resource.MustParse("16Mi"),
			},
			Limits: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("100m"),
				corev1.ResourceMemory: resource.MustParse("64Mi"),
			},
		},
		// The volume holds the wrapper (a static binary of ~1.5-2.5 MB) and at
		// most MaxReferences values of at most 25 KiB each (Key Vault's limit):
		// 50 x 25 KiB = 1.25 MiB. 8 MiB covers both with room to spare, and
		// stays small because memory-backed volumes count against the pod's
		// memory.
		VolumeSizeLimit: resource.MustParse("8Mi"),
		MaxReferences:   50,
		FetchTimeout:    2 * time.Minute,
		DefaultPlatform: Platform{OS: "linux", Arch: "amd64"},
	}
}

// Validate reports every setting that cannot work, at once.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if strings.TrimSpace(c.InjectorImage) == "" {
		add("the injector image is not set: set --injector-image to the kvenv image the init container runs, the same release as the webhook")
	}
	switch c.InjectorPullPolicy {
	case "", corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		add("injector pull policy %q (--injector-pull-policy, Helm value injector.pullPolicy): want Always, IfNotPresent or Never", c.InjectorPullPolicy)
	}
	if msgs := validation.IsDNS1123Subdomain(c.VaultDNSSuffix); len(msgs) > 0 {
		add("vault DNS suffix %q (--vault-dns-suffix, Helm value azure.vaultDnsSuffix): want a DNS name such as vault.azure.net or vault.azure.cn: %s",
			c.VaultDNSSuffix, strings.Join(msgs, "; "))
	}
	if c.AuthorityHost != "" {
		if u, err := url.Parse(c.AuthorityHost); err != nil || u.Scheme != "https" || u.Host == "" {
			add("authority host %q (--authority-host, Helm value azure.authorityHost): want an https:// URL such as https://login.microsoftonline.us/", c.AuthorityHost)
		}
	}
	if c.CABundle != "" && !hasCertificate(c.CABundle) {
		add("the CA bundle (--ca-bundle-file, Helm value azure.caBundle) holds no PEM CERTIFICATE block: give one or more -----BEGIN CERTIFICATE----- blocks")
	}
	errs = append(errs, negativeResources(c.InitResources)...)
	errs = append(errs, requestsOverLimits(c.InitResources)...)
	if c.VolumeSizeLimit.Sign() <= 0 {
		add("volume size limit %s (--volume-size-limit, Helm value injector.volumeSizeLimit): want a positive size such as 8Mi", c.VolumeSizeLimit.String())
	}
	for _, v := range c.AllowedVaults {
		if _, ok := vaultEntryHost(v, c.VaultDNSSuffix); !ok {
			add("allowed vault %q (--allowed-vaults, Helm value allowedVaults): want a vault name (myvault) or host (myvault.vault.azure.net, 10.0.0.5:8443)", v)
		}
	}
	if c.MaxReferences < 1 {
		add("max references %d (--max-references, Helm value injector.maxReferences): want at least 1, such as the default 50", c.MaxReferences)
	}
	if c.FetchTimeout <= 0 {
		add("fetch timeout %s (--fetch-timeout, Helm value injector.fetchTimeout): want a positive duration such as 2m", c.FetchTimeout)
	}
	if c.DefaultPlatform.OS == "" || c.DefaultPlatform.Arch == "" {
		add("default platform %q/%q (--default-platform, Helm value injector.defaultPlatform): want OS and architecture, e.g. linux/amd64", c.DefaultPlatform.OS, c.DefaultPlatform.Arch)
	}
	return errors.Join(errs...)
}

// initResourceFlags names the flags that set each init container resource,
// request then limit.
var initResourceFlags = []struct {
	name           corev1.ResourceName
	request, limit string
}{
	{corev1.ResourceCPU, "--init-cpu-request", "--init-cpu-limit"},
	{corev1.ResourceMemory, "--init-memory-request", "--init-memory-limit"},
}

// negativeResources reports each negative init container request or limit:
// the API server rejects such a container, so every pod kvenv injects would
// be rejected. The quantity parser takes a sign, hence this check.
func negativeResources(r corev1.ResourceRequirements) []error {
	var errs []error
	for _, f := range initResourceFlags {
		if err := negativeResource(r.Requests, f.name, "request", f.request); err != nil {
			errs = append(errs, err)
		}
		if err := negativeResource(r.Limits, f.name, "limit", f.limit); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// negativeResource reports one negative quantity; kind is request or limit.
func negativeResource(list corev1.ResourceList, name corev1.ResourceName, kind, flag string) error {
	q, ok := list[name]
	if !ok || q.Sign() >= 0 {
		return nil
	}
	return fmt.Errorf("init container %s %s %s (%s, Helm value injector.resources.%ss.%s) is negative: set 0 or more, such as %s, or the API server rejects every pod kvenv injects",
		name, kind, q.String(), flag, kind, name, exampleInitResource(name))
}

// exampleInitResource is a sensible size for one init container resource.
func exampleInitResource(name corev1.ResourceName) string {
	if name == corev1.ResourceCPU {
		return "10m"
	}
	return "16Mi"
}

// requestsOverLimits reports each init container request above its limit:
// the API server rejects such a container, so every pod kvenv injects would
// be rejected, in every namespace that opted in.
func requestsOverLimits(r corev1.ResourceRequirements) []error {
	var errs []error
	for _, f := range initResourceFlags {
		request, hasRequest := r.Requests[f.name]
		limit, hasLimit := r.Limits[f.name]
		if hasRequest && hasLimit && request.Cmp(limit) > 0 {
			errs = append(errs, fmt.Errorf("init container %s request %s (%s) is above its limit %s (%s): lower %s or raise %s, or the API server rejects every pod kvenv injects",
				f.name, request.String(), f.request, limit.String(), f.limit, f.request, f.limit))
		}
	}
	return errs
}

func hasCertificate(bundle string) bool {
	rest := []byte(bundle)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return false
		}
		if block.Type == "CERTIFICATE" {
			return true
		}
	}
}

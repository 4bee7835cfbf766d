package main

import (
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kvenv/kvenv/webhook"
	"github.com/kvenv/kvenv/webhook/imageconfig"
)

// registryFlags configure how the webhook reads the ENTRYPOINT/CMD of images
// whose containers set no command.
type registryFlags struct {
	opts            imageconfig.Options
	readPullSecrets bool
	azureIdentity   bool
	mirrors         mirrorFlag
	insecureHosts   string
	acrHosts        string
	caBundleFile    string
	caBundle        []byte // read by validate
}

func bindRegistryFlags(fs *flag.FlagSet) *registryFlags {
	f := &registryFlags{mirrors: mirrorFlag{}}
	fs.BoolVar(&f.readPullSecrets, "registry-read-pull-secrets", false,
		"read the imagePullSecrets of pods and service accounts (needs get on Secrets and ServiceAccounts; see the chart's imagePullSecrets.read)")
	fs.BoolVar(&f.azureIdentity, "registry-azure-identity", false,
		"pull from Azure Container Registry with the webhook's own Azure identity (workload or managed identity)")
	fs.StringVar(&f.acrHosts, "registry-acr-hosts", "", "comma-separated registries beyond *.azurecr.io that take the ACR token exchange")
	fs.DurationVar(&f.opts.TagTTL, "registry-tag-ttl", imageconfig.DefaultTagTTL, "how long a tag→digest answer is reused")
	fs.IntVar(&f.opts.MaxEntries, "registry-cache-entries", imageconfig.DefaultMaxEntries, "bound on each registry cache")
	fs.DurationVar(&f.opts.LookupTimeout, "registry-lookup-timeout", imageconfig.DefaultLookupTimeout,
		fmt.Sprintf("bound on one image look-up, at most %v (inside the webhook's timeout)", imageconfig.MaxLookupTimeout))
	fs.Var(f.mirrors, "registry-mirror", "REGISTRY=MIRROR[,MIRROR]: mirrors tried before REGISTRY (repeatable)")
	fs.StringVar(&f.insecureHosts, "registry-insecure-hosts", "", "comma-separated registries reached over plain HTTP")
	fs.StringVar(&f.caBundleFile, "registry-ca-bundle-file", "", "PEM file of extra CAs trusted for registries")
	return f
}

// validate checks the registry settings right after flag parsing, before
// serve connects to anything, and says which flag (and Helm value) to fix:
// imageconfig's own messages name its Go fields, not the flags.
func (f *registryFlags) validate() error {
	o := f.opts
	switch {
	case o.TagTTL < 0:
		return fmt.Errorf("--registry-tag-ttl %s (Helm value registry.tagTTL) is negative: set 0 for the default %s, or a positive duration",
			o.TagTTL, imageconfig.DefaultTagTTL)
	case o.MaxEntries < 0:
		return fmt.Errorf("--registry-cache-entries %d (Helm value registry.cacheEntries) is negative: set 0 for the default %d, or a positive number",
			o.MaxEntries, imageconfig.DefaultMaxEntries)
	case o.LookupTimeout < 0 || o.LookupTimeout > imageconfig.MaxLookupTimeout:
		return fmt.Errorf("--registry-lookup-timeout %s (Helm value registry.lookupTimeout): set it between 0 (the default %s) and %s, so that a look-up ends inside the webhook's timeout",
			o.LookupTimeout, imageconfig.DefaultLookupTimeout, imageconfig.MaxLookupTimeout)
	}
	if f.caBundleFile == "" {
		return nil
	}
	pem, err := readCABundle("--registry-ca-bundle-file", f.caBundleFile, "")
	f.caBundle = pem
	return err
}

// resolver builds the registry resolver; reg receives its metrics. Call
// validate first.
func (f *registryFlags) resolver(rc *rest.Config, reg prometheus.Registerer) (webhook.ImageResolver, error) {
	o := f.opts
	o.Registerer = reg
	o.InsecureHosts = splitList(f.insecureHosts)
	o.Mirrors = f.mirrors
	o.ACR.Hosts = splitList(f.acrHosts)
	o.CABundle = f.caBundle
	if f.readPullSecrets {
		c, err := client.New(rc, client.Options{})
		if err != nil {
			return nil, fmt.Errorf("client for pull secrets: %w", err)
		}
		o.Secrets = webhook.PullSecretReader{Client: c}
	}
	if f.azureIdentity {
		cred, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return nil, fmt.Errorf("--registry-azure-identity: %w", err)
		}
		o.ACR.Credential = cred
	}
	return imageconfig.New(o)
}

// readCABundle reads a PEM file of CA certificates given by flag, and
// refuses one that holds none. The certificates are public, so the error
// may name the file; helmValue, if not empty, is the chart's value that
// fills the file.
func readCABundle(flag, path, helmValue string) ([]byte, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		fill := "the file"
		if helmValue != "" {
			fill = "the file (Helm value " + helmValue + ")"
		}
		return nil, fmt.Errorf("%s %s holds no PEM certificate: fill %s with one or more -----BEGIN CERTIFICATE----- blocks", flag, path, fill)
	}
	return pem, nil
}

// mirrorFlag collects --registry-mirror REGISTRY=MIRROR[,MIRROR].
type mirrorFlag map[string][]string

func (m mirrorFlag) String() string {
	var parts []string
	for host, mirrors := range m {
		parts = append(parts, host+"="+strings.Join(mirrors, ","))
	}
	return strings.Join(parts, " ")
}

func (m mirrorFlag) Set(v string) error {
	host, list, ok := strings.Cut(v, "=")
	mirrors := splitList(list)
	if !ok || host == "" || len(mirrors) == 0 {
		return fmt.Errorf("want REGISTRY=MIRROR[,MIRROR], got %q", v)
	}
	m[host] = append(m[host], mirrors...)
	return nil
}

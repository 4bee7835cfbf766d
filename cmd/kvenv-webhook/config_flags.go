package main

import (
	"flag"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kvenv/kvenv/webhook"
)

// configFlags binds the mutation's settings to flags; serve and render share
// them, so that render shows exactly what a webhook with the same flags does.
type configFlags struct {
	cfg                      webhook.Config
	caBundleFile             string
	allowedVaults            string
	platform                 string
	volumeSize               string
	initCPU, initMemory      string
	initCPULimit, initMemLim string
}

func bindConfigFlags(fs *flag.FlagSet) *configFlags {
	f := &configFlags{cfg: webhook.DefaultConfig()}
	c := &f.cfg
	fs.StringVar(&c.InjectorImage, "injector-image", c.InjectorImage, "image of the init container (holds kvenv and kvenv-exec)")
	fs.StringVar((*string)(&c.InjectorPullPolicy), "injector-pull-policy", string(c.InjectorPullPolicy), "imagePullPolicy of the init container")
	fs.StringVar(&c.VaultDNSSuffix, "vault-dns-suffix", c.VaultDNSSuffix, "DNS suffix of vault names (sovereign clouds: vault.azure.cn, vault.usgovcloudapi.net)")
	fs.StringVar(&c.AuthorityHost, "authority-host", c.AuthorityHost, "Microsoft Entra authority host handed to the init container (empty: the SDK's default)")
	fs.BoolVar(&c.DisableInstanceDiscovery, "disable-instance-discovery", c.DisableInstanceDiscovery, "skip Entra instance discovery (Azure Stack, private clouds)")
	fs.StringVar(&f.caBundleFile, "ca-bundle-file", "", "PEM file of extra CAs the init container trusts for Entra ID and Key Vault")
	fs.StringVar(&f.allowedVaults, "allowed-vaults", "", "comma-separated vault names or hosts pods may use (empty: any vault under the DNS suffix)")
	fs.IntVar(&c.MaxReferences, "max-references", c.MaxReferences, "most kvenv.io/env.* references one pod may carry")
	fs.DurationVar(&c.FetchTimeout, "fetch-timeout", c.FetchTimeout, "bound on the init container's whole fetch")
	fs.StringVar(&f.platform, "default-platform", c.DefaultPlatform.OS+"/"+c.DefaultPlatform.Arch, "platform of pods that do not select one, for image entrypoint look-ups")
	fs.StringVar(&f.volumeSize, "volume-size-limit", c.VolumeSizeLimit.String(), "sizeLimit of the memory volume")
	fs.StringVar(&f.initCPU, "init-cpu-request", quantity(c.InitResources.Requests, corev1.ResourceCPU), "init container CPU request")
	fs.StringVar(&f.initMemory, "init-memory-request", quantity(c.InitResources.Requests, corev1.ResourceMemory), "init container memory request")
	fs.StringVar(&f.initCPULimit, "init-cpu-limit", quantity(c.InitResources.Limits, corev1.ResourceCPU), "init container CPU limit")
	fs.StringVar(&f.initMemLim, "init-memory-limit", quantity(c.InitResources.Limits, corev1.ResourceMemory), "init container memory limit")
	return f
}

// config finishes the settings that need parsing after flag.Parse.
func (f *configFlags) config() (webhook.Config, error) {
	c := f.cfg
	if f.caBundleFile != "" {
		pem, err := readCABundle("--ca-bundle-file", f.caBundleFile, "azure.caBundle")
		if err != nil {
			return c, err
		}
		c.CABundle = string(pem)
	}
	c.AllowedVaults = splitList(f.allowedVaults)
	os, arch, ok := strings.Cut(f.platform, "/")
	if !ok || os == "" || arch == "" {
		return c, fmt.Errorf("--default-platform %q: want OS/ARCH, e.g. linux/amd64", f.platform)
	}
	c.DefaultPlatform.OS, c.DefaultPlatform.Arch = os, arch
	var err error
	if c.VolumeSizeLimit, err = resource.ParseQuantity(f.volumeSize); err != nil {
		return c, fmt.Errorf("--volume-size-limit %q: %w", f.volumeSize, err)
	}
	c.InitResources = corev1.ResourceRequirements{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}
	for _, q := range []struct {
		flag, value string
		list        corev1.ResourceList
		name        corev1.ResourceName
	}{
		{"--init-cpu-request", f.initCPU, c.InitResources.Requests, corev1.ResourceCPU},
		{"--init-memory-request", f.initMemory, c.InitResources.Requests, corev1.ResourceMemory},
		{"--init-cpu-limit", f.initCPULimit, c.InitResources.Limits, corev1.ResourceCPU},
		{"--init-memory-limit", f.initMemLim, c.InitResources.Limits, corev1.ResourceMemory},
	} {
		if q.value == "" {
			continue
		}
		v, err := resource.ParseQuantity(q.value)
		if err != nil {
			return c, fmt.Errorf("%s %q: %w", q.flag, q.value, err)
		}
		q.list[q.name] = v
	}
	return c, c.Validate()
}

func quantity(l corev1.ResourceList, name corev1.ResourceName) string {
	if q, ok := l[name]; ok {
		return q.String()
	}
	return ""
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

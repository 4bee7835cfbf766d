package webhook

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// TestConfigValidateInitRequestsWithinLimits: a request above its limit
// would have the API server reject every injected pod, so it is refused at
// start-up, naming the two flags; a request up to its limit, or without a
// limit, is fine.
func TestConfigValidateInitRequestsWithinLimits(t *testing.T) {
	cases := []struct {
		name           string
		resource       corev1.ResourceName
		request, limit string // "" leaves it unset
		wantFlags      []string
	}{
		{"memory request above limit", corev1.ResourceMemory, "128Mi", "64Mi", []string{"--init-memory-request", "--init-memory-limit"}},
		{"cpu request above limit", corev1.ResourceCPU, "200m", "100m", []string{"--init-cpu-request", "--init-cpu-limit"}},
		{"memory request at limit", corev1.ResourceMemory, "64Mi", "64Mi", nil},
		{"memory request below limit", corev1.ResourceMemory, "16Mi", "64Mi", nil},
		{"cpu request below limit, other units", corev1.ResourceCPU, "0.05", "100m", nil},
		{"cpu request without a limit", corev1.ResourceCPU, "2", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			setQuantity(cfg.InitResources.Requests, tc.resource, tc.request)
			setQuantity(cfg.InitResources.Limits, tc.resource, tc.limit)
			err := cfg.Validate()
			if tc.wantFlags == nil {
				if err != nil {
					t.Fatalf("Validate refused request %s with limit %q: %v", tc.request, tc.limit, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted request %s above limit %s", tc.request, tc.limit)
			}
			for _, want := range append(tc.wantFlags, tc.request, tc.limit, "lower", "raise") {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error lacks %q: %v", want, err)
				}
			}
		})
	}
}

// setQuantity sets or, for "", removes one resource of a list.
func setQuantity(list corev1.ResourceList, name corev1.ResourceName, value string) {
	if value == "" {
		delete(list, name)
		return
	}
	list[name] = resource.MustParse(value)
}

// TestConfigValidateRefusesNegativeInitResources: a negative quantity parses,
// and the API server rejects a container that carries one, so every pod kvenv
// injects would be rejected; zero is a valid request.
func TestConfigValidateRefusesNegativeInitResources(t *testing.T) {
	cases := []struct {
		name      string
		requests  bool
		resource  corev1.ResourceName
		value     string
		flag, key string // "" when the value is fine
	}{
		{"cpu request", true, corev1.ResourceCPU, "-1", "--init-cpu-request", "injector.resources.requests.cpu"},
		{"memory request", true, corev1.ResourceMemory, "-16Mi", "--init-memory-request", "injector.resources.requests.memory"},
		{"cpu limit", false, corev1.ResourceCPU, "-100m", "--init-cpu-limit", "injector.resources.limits.cpu"},
		{"memory limit", false, corev1.ResourceMemory, "-1", "--init-memory-limit", "injector.resources.limits.memory"},
		{"zero cpu request", true, corev1.ResourceCPU, "0", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			list := cfg.InitResources.Limits
			if tc.requests {
				list = cfg.InitResources.Requests
			}
			setQuantity(list, tc.resource, tc.value)
			err := cfg.Validate()
			if tc.flag == "" {
				if err != nil {
					t.Fatalf("Validate refused %s: %v", tc.value, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted %s %s", tc.name, tc.value)
			}
			for _, want := range []string{tc.flag, tc.key, tc.value, "negative"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error lacks %q: %v", want, err)
				}
			}
		})
	}
}

// TestConfigValidateNamesTheFlags: each setting error names the flag of
// kvenv-webhook and the chart value that set it, so the reader knows what
// to change.
func TestConfigValidateNamesTheFlags(t *testing.T) {
	cases := []struct {
		name  string
		spoil func(*Config)
		want  []string
	}{
		{"max references", func(c *Config) { c.MaxReferences = 0 }, []string{"--max-references", "injector.maxReferences"}},
		{"fetch timeout", func(c *Config) { c.FetchTimeout = 0 }, []string{"--fetch-timeout", "injector.fetchTimeout", "2m"}},
		{"vault DNS suffix", func(c *Config) { c.VaultDNSSuffix = "BAD_" }, []string{"--vault-dns-suffix", "azure.vaultDnsSuffix", "vault.azure.net"}},
		{"CA bundle", func(c *Config) { c.CABundle = "not pem" }, []string{"--ca-bundle-file", "azure.caBundle", "BEGIN CERTIFICATE"}},
		{"pull policy", func(c *Config) { c.InjectorPullPolicy = "Sometimes" }, []string{"--injector-pull-policy", "injector.pullPolicy"}},
		{"authority host", func(c *Config) { c.AuthorityHost = "http://login.example" }, []string{"--authority-host", "azure.authorityHost"}},
		{"volume size limit", func(c *Config) { c.VolumeSizeLimit.Set(0) }, []string{"--volume-size-limit", "injector.volumeSizeLimit"}},
		{"allowed vault", func(c *Config) { c.AllowedVaults = []string{"my_vault"} }, []string{"--allowed-vaults", "allowedVaults"}},
		{"default platform", func(c *Config) { c.DefaultPlatform.Arch = "" }, []string{"--default-platform", "injector.defaultPlatform"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.spoil(&cfg)
			err := cfg.Validate()
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error lacks %q: %v", want, err)
				}
			}
		})
	}
}

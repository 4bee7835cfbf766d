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

package manifests

import (
	"strings"
	"testing"

	policyv1 "k8s.io/api/policy/v1"
)

// TestChartRequiresKubernetes130: the webhook's CEL matchConditions are on
// by default only from 1.30, so Helm must refuse older clusters; "-0" in
// the range lets providers' pre-release style versions (1.30.2-gke.1) pass.
func TestChartRequiresKubernetes130(t *testing.T) {
	cases := []struct {
		kube     string
		accepted bool
	}{{"1.29.15", false}, {"1.30.0", true}, {"1.30.2-gke.1", true}}
	for _, c := range cases {
		t.Run(c.kube, func(t *testing.T) {
			_, err := helm(t, "template", "kvenv", chartDir, "--namespace", "kvenv", "--kube-version", c.kube)
			switch {
			case c.accepted && err != nil:
				t.Fatalf("rendering for Kubernetes %s: %v", c.kube, err)
			case !c.accepted && (err == nil || !strings.Contains(err.Error(), "chart requires kubeVersion: >=1.30.0-0")):
				t.Fatalf("rendering for Kubernetes %s must fail on the chart's kubeVersion, got %v", c.kube, err)
			}
		})
	}
}

// TestPodDisruptionBudgetOnlyWhenADrainCanProceed: a budget that keeps every
// replica would block `kubectl drain` forever, so it is rendered only when
// replicaCount is above what it keeps (a percentage rounded up, as the
// disruption controller does).
func TestPodDisruptionBudgetOnlyWhenADrainCanProceed(t *testing.T) {
	cases := []struct {
		replicas, minAvailable string
		rendered               bool
	}{
		{"1", "1", false},
		{"2", "1", true},
		{"3", "3", false},
		{"3", "2", true},
		{"2", "50%", true},  // keeps 1 of 2
		{"2", "60%", false}, // 1.2 rounds up to 2 of 2
	}
	for _, c := range cases {
		t.Run(c.replicas+" replicas, minAvailable "+c.minAvailable, func(t *testing.T) {
			r := render(t, "kvenv", "kvenv", "replicaCount="+c.replicas, "podDisruptionBudget.minAvailable="+c.minAvailable)
			pdbs := r.all("PodDisruptionBudget")
			if !c.rendered {
				if len(pdbs) != 0 {
					t.Fatalf("a PodDisruptionBudget that keeps every replica was rendered; no drain could finish")
				}
				return
			}
			pdb := &policyv1.PodDisruptionBudget{}
			r.one(t, "PodDisruptionBudget", pdb)
			if got := pdb.Spec.MinAvailable.String(); got != c.minAvailable {
				t.Fatalf("minAvailable %s, want %s", got, c.minAvailable)
			}
		})
	}
}

// TestLookupTimeoutMustFitTheWebhookTimeout: the API server abandons the
// admission call after webhook.timeoutSeconds, so a registry look-up as long
// would fail the pod it was made for; kvenv-webhook takes at most 8s. Either
// mistake fails the install with a message naming the values.
func TestLookupTimeoutMustFitTheWebhookTimeout(t *testing.T) {
	cases := []struct{ timeoutSeconds, lookupTimeout, message string }{
		{"10", "5s", ""},
		{"5", "4999ms", ""},
		{"30", "8s", ""},
		{"5", "5s", "registry.lookupTimeout (5s) must be below webhook.timeoutSeconds (5s)"},
		{"10", "1m", "registry.lookupTimeout (1m) must be below webhook.timeoutSeconds (10s)"},
		{"30", "1m30s", "registry.lookupTimeout (1m30s) must be below webhook.timeoutSeconds (30s)"},
		{"2", "0s", "registry.lookupTimeout (0s, meaning the default 5s) must be below webhook.timeoutSeconds (2s)"},
		{"30", "8001ms", "registry.lookupTimeout (8001ms) is above 8s, the most kvenv-webhook accepts"},
	}
	for _, c := range cases {
		t.Run(c.lookupTimeout+" within "+c.timeoutSeconds+"s", func(t *testing.T) {
			set := []string{"webhook.timeoutSeconds=" + c.timeoutSeconds, "registry.lookupTimeout=" + c.lookupTimeout}
			_, err := helm(t, templateArgs("kvenv", "kvenv", set...)...)
			switch {
			case c.message == "" && err != nil:
				t.Fatalf("helm template %v: %v", set, err)
			case c.message != "" && (err == nil || !strings.Contains(err.Error(), c.message)):
				t.Fatalf("helm template %v must fail with\n%s\ngot %v", set, c.message, err)
			}
		})
	}
}

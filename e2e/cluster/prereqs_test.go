package cluster

import (
	"strings"
	"testing"
)

// TestMissingPrerequisitesNamesEveryToolTheScenarioRuns: with an empty tools
// directory, each binary that a cluster, the scenario or the demo runs is
// reported, with the make target that builds it.
func TestMissingPrerequisitesNamesEveryToolTheScenarioRuns(t *testing.T) {
	dir := t.TempDir()
	advice := map[string]string{} // binary → what the report says to run
	for _, line := range MissingPrerequisites(dir) {
		if name, rest, ok := strings.Cut(line, " not in "+dir+": run "); ok {
			advice[name] = rest
		}
	}
	want := map[string]string{
		"kube-apiserver": "make cluster-tools", "kubelet": "make cluster-tools", "containerd": "make cluster-tools",
		"ctr": "make cluster-tools", "kubectl": "make cluster-tools", "helm": "make tools",
	}
	for name, target := range want {
		got, ok := advice[name]
		switch {
		case !ok:
			t.Errorf("%s is not reported missing from an empty tools directory", name)
		case !strings.Contains(got, "("+target+")"):
			t.Errorf("%s missing: the report says to run %s, want %s", name, got, target)
		}
	}
}

package manifests

import (
	"strings"
	"testing"
)

// TestReleasesNeverShareAnObject renders releases that differ in name, in
// namespace, or both: no object (kind, namespace, name) may appear in two of
// them, so installing or uninstalling one never touches another's.
// Cluster-scoped names carry the release and the namespace.
func TestReleasesNeverShareAnObject(t *testing.T) {
	releases := []struct{ name, namespace string }{
		{"kvenv", "team-a"},
		{"other", "team-a"},
		{"kvenv", "team-b"},
		{"a-release-name-long-enough-to-need-shortening-kvenv", "a-namespace-also-rather-long-for-comfort"},
	}
	owner := map[string]string{}
	for _, rel := range releases {
		id := rel.name + " in " + rel.namespace
		for _, o := range render(t, rel.name, rel.namespace, "certManager.enabled=false", "imagePullSecrets.read=true") {
			key := o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
			if prev, taken := owner[key]; taken {
				t.Errorf("%s is rendered by both release %s and release %s", key, prev, id)
			}
			owner[key] = id
			if len(o.GetName()) > 63 {
				t.Errorf("%s: name longer than 63 characters", key)
			}
			if o.GetNamespace() == "" && !clusterNameNamesRelease(o.GetName(), rel.name, rel.namespace) {
				t.Errorf("cluster-scoped %s does not carry release %s and namespace %s", key, rel.name, rel.namespace)
			}
		}
	}
}

// clusterNameNamesRelease: the name holds the release and the namespace, or
// (when that is too long) is a shortened, hashed form of them.
func clusterNameNamesRelease(name, release, namespace string) bool {
	if strings.Contains(name, release) && strings.Contains(name, namespace) {
		return true
	}
	return len(name) <= 63 && strings.HasPrefix(release+"-"+namespace, strings.TrimSuffix(name[:54], "-"))
}

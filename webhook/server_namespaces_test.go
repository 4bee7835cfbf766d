package webhook

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// recordingReader answers Get with its namespace (or NotFound without one)
// and records whether each read had a deadline.
type recordingReader struct {
	client.Reader
	ns        *corev1.Namespace
	deadlines []bool
}

func (r *recordingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	_, has := ctx.Deadline()
	r.deadlines = append(r.deadlines, has)
	if r.ns == nil {
		return apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, key.Name)
	}
	*obj.(*corev1.Namespace) = *r.ns
	return nil
}

func appsNamespace() *corev1.Namespace {
	ns := &corev1.Namespace{}
	ns.Name, ns.Annotations = "apps", map[string]string{"kvenv.io/vaults": "myvault"}
	return ns
}

// TestNamespaceReadsAreBoundedOnlyWhereTheyCanWait: a synced cache answers
// from memory with no deadline to arm (a timer per admission, measured in
// docs/benchmarks.md); a namespace the synced cache has not seen is read
// live within the bound, and so is every read of a cache not yet synced.
func TestNamespaceReadsAreBoundedOnlyWhereTheyCanWait(t *testing.T) {
	cases := []struct {
		name                 string
		synced               bool
		inCache              bool
		cacheDeadlines, live []bool
	}{
		{name: "synced cache holding the namespace", synced: true, inCache: true, cacheDeadlines: []bool{false}},
		{name: "synced cache without it, read live", synced: true, cacheDeadlines: []bool{false, true}, live: []bool{true}},
		{name: "cache not synced", synced: false, inCache: true, cacheDeadlines: []bool{true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cached, live := &recordingReader{}, &recordingReader{ns: appsNamespace()}
			if tc.inCache {
				cached.ns = appsNamespace()
			}
			c := &cachedNamespaces{cached: cached, live: live, synced: func() bool { return tc.synced }, timeout: time.Second}
			ann, err := c.NamespaceAnnotations(t.Context(), "apps")
			if err != nil || ann["kvenv.io/vaults"] != "myvault" {
				t.Fatalf("annotations %v, error %v; want the namespace's", ann, err)
			}
			if !slices.Equal(cached.deadlines, tc.cacheDeadlines) || !slices.Equal(live.deadlines, tc.live) {
				t.Fatalf("deadlines: cache %v live %v; want cache %v live %v", cached.deadlines, live.deadlines, tc.cacheDeadlines, tc.live)
			}
		})
	}
}

package selftls_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kvenv/kvenv/internal/testclock"
	"github.com/kvenv/kvenv/internal/testcluster"
	"github.com/kvenv/kvenv/webhook/selftls"
)

// TestReplicasConvergeOnOneCA runs two replicas' rotators against one Secret
// on a real API server, reconciling at the same time, through first creation
// and every kind of rotation. Each step must cost exactly one Secret write
// (the loser of each race re-reads and adopts), and both replicas must end up
// serving the same certificate: no fight, no flapping.
func TestReplicasConvergeOnOneCA(t *testing.T) {
	api, opts := startAPIServer(t, "kvenv-race", "kvenv.kvenv.svc")
	c, mwc := api.Client, opts.WebhookConfigName
	createPodWebhook(t, c, mwc, testcluster.FreeLoopbackPort(t))
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := testclock.New(start)
	opts.Now = clk.Now
	// Renewals at two thirds: serving certificates at day 2, the CA at day 4.
	opts.CAValidity, opts.CertValidity = 6*24*time.Hour, 3*24*time.Hour
	var replicas []*selftls.Rotator
	var dirs []string
	for range 2 {
		o := opts
		o.CertDir = t.TempDir()
		replicas, dirs = append(replicas, newRotator(t, c, o)), append(dirs, o.CertDir)
	}
	secretWrites := countWrites(t, watchOne(t, c.CoreV1().Secrets(tlsNamespace).Watch, tlsSecret), watch.Added, watch.Modified)
	// The configuration exists already: its ADDED event is not a write.
	bundleWrites := countWrites(t, watchOne(t, c.AdmissionregistrationV1().MutatingWebhookConfigurations().Watch, mwc), watch.Modified)

	steps := []struct {
		name         string
		at           time.Time
		bundleWrites int // in total, up to this step
	}{
		{"first start: one replica creates the Secret", start, 1},
		{"serving certificate renewal", start.Add(2*24*time.Hour + time.Minute), 1},
		{"CA renewal: new CA beside the old one", start.Add(4 * 24 * time.Hour), 2},
		{"serving certificate moves to the new CA", start.Add(4*24*time.Hour + opts.Propagation), 2},
	}
	var lastCA []byte
	for i, step := range steps {
		clk.Set(step.at)
		reconcileConcurrently(t, replicas, 3)
		sec := getSecret(t, c)
		if got := secretWrites(sec.ResourceVersion); got != i+1 {
			t.Fatalf("%s: %d Secret writes in total, want %d", step.name, got, i+1)
		}
		cfg := getWebhookConfig(t, c, mwc)
		if got := bundleWrites(cfg.ResourceVersion); got != step.bundleWrites {
			t.Fatalf("%s: %d caBundle writes in total, want %d", step.name, got, step.bundleWrites)
		}
		if want := sec.Data[selftls.KeyCABundle]; !bytes.Equal(cfg.Webhooks[0].ClientConfig.CABundle, want) {
			t.Fatalf("%s: the webhook configuration's caBundle is not the Secret's", step.name)
		}
		servesSecret(t, sec.Data[selftls.KeyServingCert], dirs...)
		if i == 2 {
			if bytes.Equal(sec.Data[selftls.KeyCACert], lastCA) {
				t.Fatalf("%s: the CA did not change", step.name)
			}
			if servingCertOf(t, sec).CheckSignatureFrom(caCertOf(t, sec)) == nil {
				t.Fatalf("%s: the new CA signs the served certificate before the API server can trust it", step.name)
			}
		}
		lastCA = sec.Data[selftls.KeyCACert]
	}
	sec := getSecret(t, c)
	if n := len(certsFromPEM(t, sec.Data[selftls.KeyCABundle])); n != 2 {
		t.Fatalf("trust bundle holds %d CAs after the rotation, want the new and the old", n)
	}
	if err := servingCertOf(t, sec).CheckSignatureFrom(caCertOf(t, sec)); err != nil {
		t.Fatalf("the served certificate is not from the current CA: %v", err)
	}
}

// reconcileConcurrently lets every replica reconcile rounds times, all at once.
func reconcileConcurrently(t *testing.T, replicas []*selftls.Rotator, rounds int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(replicas)*rounds)
	for _, r := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				if _, err := r.Reconcile(context.Background()); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// countWrites counts the events of the given types that w delivers, up to
// and including the one at resourceVersion rv.
func countWrites(t *testing.T, w watch.Interface, types ...watch.EventType) func(rv string) int {
	t.Helper()
	t.Cleanup(w.Stop)
	writes, seen := 0, ""
	return func(rv string) int {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for seen != rv {
			select {
			case ev := <-w.ResultChan():
				if slices.Contains(types, ev.Type) {
					writes++
				}
				seen = ev.Object.(metav1.Object).GetResourceVersion()
			case <-timeout:
				t.Fatalf("watch did not deliver resourceVersion %s within 30s", rv)
			}
		}
		return writes
	}
}

func watchOne(t *testing.T, watchFn func(context.Context, metav1.ListOptions) (watch.Interface, error), name string) watch.Interface {
	t.Helper()
	w, err := watchFn(context.Background(), metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// servesSecret checks that every replica's certificate file is the Secret's.
func servesSecret(t *testing.T, want []byte, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		got, err := os.ReadFile(filepath.Join(d, selftls.KeyServingCert))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("the replica writing to %s serves another certificate than the Secret's", d)
		}
	}
}

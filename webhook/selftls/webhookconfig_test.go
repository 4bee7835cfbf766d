package selftls_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	admissionclient "k8s.io/client-go/kubernetes/typed/admissionregistration/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kvenv/kvenv/internal/testclock"
	"github.com/kvenv/kvenv/internal/testcluster"
	"github.com/kvenv/kvenv/webhook/selftls"
)

// TestWebhookConfigurationThatAppearsLate: the rotator starts before its
// webhook configuration exists (Helm creates it beside the Deployment). It
// says so, and when the configuration appears its caBundle is set within
// seconds, not at the next --tls-check-interval (an hour here), and the
// Secret created meanwhile becomes owned by it. Looking that often is bounded:
// a configuration missing for long is looked for at the ordinary pace.
func TestWebhookConfigurationThatAppearsLate(t *testing.T) {
	api, opts := startAPIServer(t, "kvenv-late", "kvenv.kvenv.svc")
	c, mwc := api.Client, opts.WebhookConfigName
	opts.CheckInterval = time.Hour
	hooks := &configHooks{}
	rotator := newRotator(t, hookedClient{c, hooks}, opts)
	logs := &logLines{}
	ctx, cancel := context.WithCancel(log.IntoContext(context.Background(), logs.logger()))
	if err := rotator.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := rotator.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if n := logs.count("MutatingWebhookConfiguration kvenv-late not found"); n != 1 {
		t.Fatalf("the missing webhook configuration was reported %d times, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "--webhook-config-name") {
		t.Fatalf("the report does not name the flag to check:\n%s", logs)
	}
	if refs := getSecret(t, c).OwnerReferences; len(refs) != 0 {
		t.Fatalf("the Secret is owned before its owner exists: %+v", refs)
	}

	readsBefore := hooks.gets.Load()
	done := make(chan error, 1)
	go func() { done <- rotator.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	// Start reconciles at once; the configuration appears only after that
	// reconcile read it twice (for the Secret and for the caBundle), missing.
	waitFor(t, "the rotator's first reconcile", func() bool { return hooks.gets.Load() >= readsBefore+2 })
	createPodWebhook(t, c, mwc, testcluster.FreeLoopbackPort(t))
	cfg := waitForCABundle(t, c, mwc, 15*time.Second)
	sec := getSecret(t, c)
	if !bytes.Equal(cfg.Webhooks[0].ClientConfig.CABundle, sec.Data[selftls.KeyCABundle]) {
		t.Fatal("the caBundle set is not the Secret's trust bundle")
	}
	if refs := sec.OwnerReferences; len(refs) != 1 || refs[0].UID != cfg.UID || refs[0].Kind != "MutatingWebhookConfiguration" {
		t.Fatalf("the Secret created before the webhook configuration is not owned by it: %+v", refs)
	}
	if logs.count("MutatingWebhookConfiguration found") != 1 {
		t.Fatalf("the configuration's appearance was not reported:\n%s", logs)
	}
}

func TestMissingWebhookConfigurationIsLookedForOftenForAWhile(t *testing.T) {
	api, opts := startAPIServer(t, "kvenv-absent", "kvenv.kvenv.svc")
	start := time.Now()
	clk := testclock.New(start)
	opts.Now = clk.Now
	rotator := newRotator(t, api.Client, opts)
	for _, step := range []struct {
		after time.Duration // since the configuration was found missing
		often bool          // looked for again within retryDelay (5s), else at the ordinary pace
	}{
		{0, true},
		{9 * time.Minute, true},
		{10 * time.Minute, false},
	} {
		clk.Set(start.Add(step.after))
		next, err := rotator.Reconcile(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if wait := next.Sub(clk.Now()); (wait <= 5*time.Second) != step.often {
			t.Fatalf("%s after the configuration went missing: looks again in %s, want often: %v", step.after, wait, step.often)
		}
	}
}

func waitFor(t *testing.T, what string, done func() bool) {
	t.Helper()
	for range 100 {
		if done() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not happen within 10s", what)
}

func waitForCABundle(t *testing.T, c kubernetes.Interface, name string, timeout time.Duration) *admissionv1.MutatingWebhookConfiguration {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		cfg := getWebhookConfig(t, c, name)
		if len(cfg.Webhooks[0].ClientConfig.CABundle) > 0 {
			return cfg
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook configuration %s has no caBundle %s after it appeared", name, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPropagationCountsFromTheCABundleUpdate: one replica writes a new CA to
// the Secret but cannot update the caBundle; another adds it a minute later.
// The served certificate moves to the new CA only the propagation delay
// after that, whatever the CA's issue time says.
func TestPropagationCountsFromTheCABundleUpdate(t *testing.T) {
	api, opts := startAPIServer(t, "kvenv-propagation", "kvenv.kvenv.svc")
	c, mwc := api.Client, opts.WebhookConfigName
	createPodWebhook(t, c, mwc, testcluster.FreeLoopbackPort(t))
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := testclock.New(start)
	opts.Now = clk.Now
	opts.CAValidity, opts.CertValidity = 6*24*time.Hour, 6*24*time.Hour // the CA renews at day 4
	newReplica := func(c kubernetes.Interface) *selftls.Rotator {
		o := opts
		o.CertDir = t.TempDir()
		return newRotator(t, c, o)
	}
	cut, healthy := newReplica(hookedClient{c, &configHooks{failUpdates: true}}), newReplica(c)

	if _, err := healthy.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	caRenewal := start.Add(4 * 24 * time.Hour)
	clk.Set(caRenewal)
	if _, err := cut.Reconcile(context.Background()); err == nil {
		t.Fatal("the replica that cannot update the caBundle reported success")
	}
	newCA := caCertOf(t, getSecret(t, c))
	if trusts(t, getWebhookConfig(t, c, mwc).Webhooks[0].ClientConfig.CABundle, newCA) {
		t.Fatal("the caBundle trusts the new CA although its update failed")
	}
	bundleUpdated := caRenewal.Add(time.Minute)
	for _, step := range []struct {
		at    time.Time
		moved bool
	}{
		{bundleUpdated, false},
		{bundleUpdated.Add(5 * time.Second), false},
		{bundleUpdated.Add(opts.Propagation - time.Second), false},
		{bundleUpdated.Add(opts.Propagation), true},
	} {
		clk.Set(step.at)
		if _, err := healthy.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
		sec := getSecret(t, c)
		if !trusts(t, getWebhookConfig(t, c, mwc).Webhooks[0].ClientConfig.CABundle, newCA) {
			t.Fatalf("%s after the CA renewal: the caBundle does not trust the new CA", step.at.Sub(caRenewal))
		}
		if moved := servingCertOf(t, sec).CheckSignatureFrom(newCA) == nil; moved != step.moved {
			t.Fatalf("%s after the CA renewal, %s after the caBundle trusted the new CA: served certificate signed by it: %v, want %v",
				step.at.Sub(caRenewal), step.at.Sub(bundleUpdated), moved, step.moved)
		}
	}
}

// hookedClient counts a replica's reads of webhook configurations and,
// with failUpdates, fails its updates of them, as for a replica that loses
// the API server after writing the Secret.
type hookedClient struct {
	kubernetes.Interface
	hooks *configHooks
}

type configHooks struct {
	gets        atomic.Int64
	failUpdates bool
}

func (c hookedClient) AdmissionregistrationV1() admissionclient.AdmissionregistrationV1Interface {
	return hookedAdmissionregistration{c.Interface.AdmissionregistrationV1(), c.hooks}
}

type hookedAdmissionregistration struct {
	admissionclient.AdmissionregistrationV1Interface
	hooks *configHooks
}

func (a hookedAdmissionregistration) MutatingWebhookConfigurations() admissionclient.MutatingWebhookConfigurationInterface {
	return hookedConfigs{a.AdmissionregistrationV1Interface.MutatingWebhookConfigurations(), a.hooks}
}

type hookedConfigs struct {
	admissionclient.MutatingWebhookConfigurationInterface
	hooks *configHooks
}

func (m hookedConfigs) Get(ctx context.Context, name string, opts metav1.GetOptions) (*admissionv1.MutatingWebhookConfiguration, error) {
	defer m.hooks.gets.Add(1)
	return m.MutatingWebhookConfigurationInterface.Get(ctx, name, opts)
}

func (m hookedConfigs) Update(ctx context.Context, mwc *admissionv1.MutatingWebhookConfiguration, opts metav1.UpdateOptions) (*admissionv1.MutatingWebhookConfiguration, error) {
	if m.hooks.failUpdates {
		return nil, errors.New("connection to the API server lost")
	}
	return m.MutatingWebhookConfigurationInterface.Update(ctx, mwc, opts)
}

// logLines collects what the rotator logs.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.lines = append(l.lines, prefix+" "+args)
	}, funcr.Options{})
}

func (l *logLines) count(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

package manifests

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/kvenv/kvenv/internal/testcluster"
	"github.com/kvenv/kvenv/webhook"
	"github.com/kvenv/kvenv/webhook/selftls"
)

// chartSettings are the chart's container arguments that the in-process
// webhook needs, parsed by the same flag definitions as the binary's where
// they live outside package main (selftls.Options.BindFlags). That every
// argument is a flag of the binary is TestChartArgsAreFlagsOfTheBinary's job.
type chartSettings struct {
	tlsMode, certDir, injectorImage, vaultDNSSuffix string
	selfTLS                                         selftls.Options
}

func parseChartArgs(t *testing.T, r rendered) chartSettings {
	t.Helper()
	s := chartSettings{selfTLS: selftls.DefaultOptions()}
	fs := flag.NewFlagSet("chart", flag.ContinueOnError)
	fs.StringVar(&s.tlsMode, "tls-mode", "", "")
	fs.StringVar(&s.certDir, "cert-dir", "", "")
	fs.StringVar(&s.injectorImage, "injector-image", "", "")
	fs.StringVar(&s.vaultDNSSuffix, "vault-dns-suffix", "", "")
	s.selfTLS.BindFlags(fs)
	var known []string
	for _, a := range deployment(t, r).Spec.Template.Spec.Containers[0].Args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "--") && fs.Lookup(name) != nil {
			known = append(known, a)
		}
	}
	if err := fs.Parse(known); err != nil {
		t.Fatalf("the chart's arguments do not parse: %v", err)
	}
	return s
}

// runningWebhook is an in-process copy of what the chart's Deployment runs.
type runningWebhook struct {
	addr string
	stop func()
}

// runChartWebhook runs kvenv's webhook manager with the chart's settings on
// 127.0.0.1:port, plus the self-managed TLS rotator when the chart asks for
// it (as cmd/kvenv-webhook's tls.go does: bootstrap, then run beside the
// server). It acts as the chart's ServiceAccount, so the chart's RBAC is all
// it may do. certDir stands in for the pod's /tls volume.
func runChartWebhook(t *testing.T, c *cluster, r rendered, port int, certDir string) *runningWebhook {
	t.Helper()
	s := parseChartArgs(t, r)
	d := deployment(t, r)
	rc := asServiceAccount(c.api.Config, d.Namespace, d.Spec.Template.Spec.ServiceAccountName)
	cfg := webhook.DefaultConfig()
	cfg.InjectorImage, cfg.VaultDNSSuffix = s.injectorImage, s.vaultDNSSuffix
	var rotator *selftls.Rotator
	if s.tlsMode == "self-managed" {
		rotator = bootstrapSelfTLS(t, rc, s.selfTLS, certDir)
	}
	// NewManager registers kvenv's metrics with controller-runtime's global
	// registry; two webhooks in one process (two releases) would collide
	// where two pods would not, so each gets a registry of its own.
	ctrlmetrics.Registry = prometheus.NewRegistry()
	probe := net.JoinHostPort("127.0.0.1", strconv.Itoa(testcluster.FreeLoopbackPort(t)))
	mgr, err := webhook.NewManager(rc, webhook.ServerOptions{
		Host: "127.0.0.1", Port: port, CertDir: certDir, MetricsAddr: "0", ProbeAddr: probe, Config: cfg,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rotator != nil {
		if err := mgr.Add(rotator); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	w := &runningWebhook{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	stopped := false
	w.stop = func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("webhook manager: %v", err)
			}
		}
	}
	t.Cleanup(w.stop)
	waitReady(t, probe)
	return w
}

func bootstrapSelfTLS(t *testing.T, rc *rest.Config, opts selftls.Options, certDir string) *selftls.Rotator {
	t.Helper()
	opts.CertDir = certDir
	// The API server reaches the webhook on loopback here, not via the Service.
	opts.Hosts = append(opts.Hosts, "127.0.0.1")
	r, err := selftls.New(kubernetes.NewForConfigOrDie(rc), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	return r
}

// waitReady polls /readyz, which turns 200 once the webhook completes a TLS
// handshake with its certificate.
func waitReady(t *testing.T, probeAddr string) {
	t.Helper()
	var last string
	for range 100 {
		resp, err := http.Get("http://" + probeAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("webhook not ready within 10s: %s", last)
}

// asServiceAccount impersonates a ServiceAccount, as its token would authenticate.
func asServiceAccount(cfg *rest.Config, namespace, name string) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.Impersonate = rest.ImpersonationConfig{
		UserName: fmt.Sprintf("system:serviceaccount:%s:%s", namespace, name),
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
	}
	return c
}

// presented handshakes with the webhook as the API server would for
// serverName, trusting only caBundle, and returns the certificate presented.
func presented(addr, serverName string, caBundle []byte) (*x509.Certificate, error) {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caBundle)
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: serverName})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0], nil
}

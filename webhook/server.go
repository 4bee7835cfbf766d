package webhook

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
)

// ServerOptions configure the webhook process.
type ServerOptions struct {
	Host          string // address to listen on; "" means all
	Port          int    // HTTPS port of the admission endpoint
	CertDir       string // holds tls.crt and tls.key, reloaded when they change
	TLSMinVersion uint16 // tls.VersionTLS12 or tls.VersionTLS13
	MetricsAddr   string // "0" disables the metrics endpoint
	ProbeAddr     string // /healthz and /readyz
	Config        Config
	Images        ImageResolver
	// Registerer receives kvenv's metrics; controller-runtime's registry
	// (served on MetricsAddr) when nil.
	Registerer prometheus.Registerer
}

// NewManager wires the admission handler into a controller-runtime manager:
// an HTTPS webhook server (with certificate hot reload), health probes and
// Prometheus metrics. It starts nothing; the caller runs mgr.Start.
func NewManager(rc *rest.Config, opts ServerOptions) (manager.Manager, error) {
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	minTLS := opts.TLSMinVersion
	if minTLS == 0 {
		minTLS = tls.VersionTLS12
	}
	server := ctrlwebhook.NewServer(ctrlwebhook.Options{
		Host: opts.Host, Port: opts.Port, CertDir: opts.CertDir,
		TLSOpts: []func(*tls.Config){func(c *tls.Config) { c.MinVersion = minTLS }},
	})
	mgr, err := manager.New(rc, manager.Options{
		Scheme:                 scheme,
		WebhookServer:          server,
		Metrics:                metricsserver.Options{BindAddress: opts.MetricsAddr},
		HealthProbeBindAddress: opts.ProbeAddr,
		// Only namespaces are read; cache nothing else. Their annotations
		// are only read, never written, so Get hands out the cached object
		// instead of a deep copy per admission.
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{&corev1.Namespace{}: {UnsafeDisableDeepCopy: ptr.To(true)}}},
	})
	if err != nil {
		return nil, fmt.Errorf("kvenv: creating the webhook manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	// Ready only once the HTTPS endpoint completes a TLS handshake, that is once
	// a certificate is being served.
	if err := mgr.AddReadyzCheck("webhook", server.StartedChecker()); err != nil {
		return nil, err
	}
	handler := &Handler{
		Config:     opts.Config,
		Namespaces: &cachedNamespaces{cached: mgr.GetClient(), live: mgr.GetAPIReader()},
		Images:     opts.Images,
		Metrics:    NewMetrics(registerer(opts.Registerer)),
		Log:        log.Log.WithName("admission"), // once, not per admission
	}
	// The manager starts the webhook server only once GetWebhookServer is called.
	mgr.GetWebhookServer().Register(MutatePath, handler)
	return mgr, nil
}

func registerer(r prometheus.Registerer) prometheus.Registerer {
	if r == nil {
		return ctrlmetrics.Registry
	}
	return r
}

// cachedNamespaces reads namespaces from the informer cache, and live when
// the cache has not seen a namespace created a moment ago.
type cachedNamespaces struct {
	cached client.Reader
	live   client.Reader
}

func (c *cachedNamespaces) NamespaceAnnotations(ctx context.Context, name string) (map[string]string, error) {
	ns := &corev1.Namespace{}
	err := c.cached.Get(ctx, client.ObjectKey{Name: name}, ns)
	if apierrors.IsNotFound(err) {
		err = c.live.Get(ctx, client.ObjectKey{Name: name}, ns)
	}
	if err != nil {
		return nil, err
	}
	return ns.Annotations, nil
}

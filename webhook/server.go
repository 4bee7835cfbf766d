package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

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
	// ImagesDeadline bounds all of one pod's image look-ups together (the
	// registry look-up timeout); zero: DefaultImagesDeadline.
	ImagesDeadline time.Duration
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
	namespaces := &namespaceInformer{cache: mgr.GetCache()}
	if err := mgr.Add(namespaces); err != nil {
		return nil, err
	}
	// Ready only once the namespaces are cached: until then every admission
	// would wait for them.
	if err := mgr.AddReadyzCheck("namespaces", namespaces.synced); err != nil {
		return nil, err
	}
	handler := &Handler{
		Config:     opts.Config,
		Namespaces: &cachedNamespaces{cached: mgr.GetClient(), live: mgr.GetAPIReader(), synced: namespaces.isSynced, timeout: NamespaceLookupTimeout},
		Images:     opts.Images,
		// One look-up's timeout for all of them: the chart keeps it inside
		// the webhook's timeoutSeconds (_checks.tpl).
		ImagesDeadline: opts.ImagesDeadline,
		Metrics:        NewMetrics(registerer(opts.Registerer)),
		Log:            log.Log.WithName("admission"), // once, not per admission
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

// NamespaceLookupTimeout bounds reading one pod's namespace. It is well
// below the webhook's timeoutSeconds (10s by default; the image look-ups
// follow it), so a cache that cannot sync ends the admission with kvenv's
// message instead of the API server's "context deadline exceeded".
const NamespaceLookupTimeout = 2 * time.Second

// namespaceRights is what kvenv needs to read namespaces, named wherever
// reading them fails.
const namespaceRights = "get, list and watch on namespaces, cluster-wide (the chart's ClusterRole grants them)"

// namespaceInformer starts the namespace informer with the manager instead
// of at the first admission, and tells readiness whether it has synced. It
// is a runnable of its own, started once the manager's caches are, rather
// than an informer requested before mgr.Start: the manager waits for the
// informers it knows of to sync before it starts anything else or can stop,
// and an informer that cannot list namespaces would hold up the self-managed
// TLS rotator and shutdown for good.
type namespaceInformer struct {
	cache     cache.Cache
	hasSynced atomic.Pointer[func() bool] // nil until Start has the informer
}

// NeedLeaderElection is false: every replica admits pods.
func (n *namespaceInformer) NeedLeaderElection() bool { return false }

func (n *namespaceInformer) Start(ctx context.Context) error {
	informer, err := n.cache.GetInformer(ctx, &corev1.Namespace{}, cache.BlockUntilSynced(false))
	if err != nil {
		return fmt.Errorf("kvenv: starting the namespace informer: %w", err)
	}
	n.hasSynced.Store(ptr.To(informer.HasSynced))
	return nil
}

func (n *namespaceInformer) isSynced() bool {
	f := n.hasSynced.Load()
	return f != nil && (*f)()
}

func (n *namespaceInformer) synced(*http.Request) error {
	if n.isSynced() {
		return nil
	}
	return fmt.Errorf("kvenv has not read the cluster's namespaces yet; its ServiceAccount needs %s", namespaceRights)
}

// cachedNamespaces reads namespaces from the informer cache, and live when
// the cache has not seen a namespace created a moment ago.
type cachedNamespaces struct {
	cached  client.Reader
	live    client.Reader
	synced  func() bool // nil: the cache's state is unknown
	timeout time.Duration
}

func (c *cachedNamespaces) NamespaceAnnotations(ctx context.Context, name string) (map[string]string, error) {
	key := client.ObjectKey{Name: name}
	// A synced cache answers from memory and never waits, so the common
	// read goes without a deadline: its timer was a cost every admission
	// paid. Only the reads that can wait (an unsynced cache, the API
	// server) are bounded.
	if c.synced != nil && c.synced() {
		ns := &corev1.Namespace{}
		err := c.cached.Get(ctx, key, ns)
		if err == nil {
			return ns.Annotations, nil
		}
		if !apierrors.IsNotFound(err) {
			return nil, c.explain(ctx, err)
		}
	}
	return c.readBounded(ctx, key)
}

// readBounded reads from the cache, then live if the cache has not seen
// the namespace, within the timeout.
func (c *cachedNamespaces) readBounded(ctx context.Context, key client.ObjectKey) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ns := &corev1.Namespace{}
	err := c.cached.Get(ctx, key, ns)
	if apierrors.IsNotFound(err) {
		err = c.live.Get(ctx, key, ns)
	}
	if err != nil {
		return nil, c.explain(ctx, err)
	}
	return ns.Annotations, nil
}

// explain says what a failed read needs; the handler names the namespace.
func (c *cachedNamespaces) explain(ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("not read within %s: kvenv's ServiceAccount needs %s, and the API server must answer: %w", c.timeout, namespaceRights, err)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("kvenv's ServiceAccount needs %s: %w", namespaceRights, err)
	}
	return err
}

package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/kvenv/kvenv/webhook"
)

// serveSettings are serve's flags, parsed and checked.
type serveSettings struct {
	opts          webhook.ServerOptions
	tls           *tlsFlags
	registry      *registryFlags
	shutdownDelay time.Duration
	zap           zap.Options
}

func serve(args []string, stderr io.Writer) error {
	s, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&s.zap)))
	rc, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("reading the Kubernetes client configuration: %w", err)
	}
	opts := s.opts
	if opts.Images, err = s.registry.resolver(rc, ctrlmetrics.Registry); err != nil {
		return err
	}
	mgr, err := webhook.NewManager(rc, opts)
	if err != nil {
		return err
	}
	if err := s.tls.setup(mgr); err != nil {
		return err
	}
	drain, err := webhook.NewDrain(mgr)
	if err != nil {
		return err
	}
	return drain.Run(ctrl.SetupSignalHandler(), s.shutdownDelay, ctrl.Log.WithName("kvenv"))
}

// parseServeFlags checks every setting before serve connects to anything,
// so a mistyped flag fails the start with its name, not a later step.
func parseServeFlags(args []string, stderr io.Writer) (*serveSettings, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := &serveSettings{}
	cfgFlags := bindConfigFlags(fs)
	s.tls = bindTLSFlags(fs)
	s.registry = bindRegistryFlags(fs)
	fs.IntVar(&s.opts.Port, "port", 9443, "HTTPS port of the admission endpoint")
	fs.StringVar(&s.opts.MetricsAddr, "metrics-bind-address", ":8080", `Prometheus metrics address ("0" disables)`)
	fs.StringVar(&s.opts.ProbeAddr, "health-probe-bind-address", ":8081", "address of /healthz and /readyz")
	tlsMin := fs.String("tls-min-version", "1.2", "lowest TLS version served: 1.2 or 1.3")
	fs.DurationVar(&s.shutdownDelay, "shutdown-delay", 5*time.Second,
		"after SIGTERM, keep serving admissions this long with /readyz failing, while the Service stops routing here")
	s.zap.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := strayArgument(fs, args, ""); err != nil {
		return nil, err
	}
	var err error
	if s.opts.Config, err = cfgFlags.config(); err != nil {
		return nil, err
	}
	if s.opts.TLSMinVersion, err = parseTLSVersion(*tlsMin); err != nil {
		return nil, err
	}
	if s.shutdownDelay < 0 {
		return nil, fmt.Errorf("--shutdown-delay %s: want 0 or more", s.shutdownDelay)
	}
	if err := s.tls.validate(); err != nil {
		return nil, err
	}
	if err := s.registry.validate(); err != nil {
		return nil, err
	}
	s.opts.CertDir = s.tls.certDir
	// A pod's look-ups together get one look-up's timeout, which the chart
	// keeps inside the webhook's timeoutSeconds.
	s.opts.ImagesDeadline = s.registry.opts.LookupTimeout
	return s, nil
}

func parseTLSVersion(s string) (uint16, error) {
	switch s {
	case "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("--tls-min-version %q: want 1.2 or 1.3", s)
}

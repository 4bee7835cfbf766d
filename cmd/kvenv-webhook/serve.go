package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/kvenv/kvenv/webhook"
)

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfgFlags := bindConfigFlags(fs)
	tlsFlags := bindTLSFlags(fs)
	registry := bindRegistryFlags(fs)
	opts := webhook.ServerOptions{}
	fs.IntVar(&opts.Port, "port", 9443, "HTTPS port of the admission endpoint")
	fs.StringVar(&opts.MetricsAddr, "metrics-bind-address", ":8080", `Prometheus metrics address ("0" disables)`)
	fs.StringVar(&opts.ProbeAddr, "health-probe-bind-address", ":8081", "address of /healthz and /readyz")
	tlsMin := fs.String("tls-min-version", "1.2", "lowest TLS version served: 1.2 or 1.3")
	shutdownDelay := fs.Duration("shutdown-delay", 5*time.Second,
		"after SIGTERM, keep serving admissions this long with /readyz failing, while the Service stops routing here")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	var err error
	if opts.Config, err = cfgFlags.config(); err != nil {
		return err
	}
	if opts.TLSMinVersion, err = parseTLSVersion(*tlsMin); err != nil {
		return err
	}
	if *shutdownDelay < 0 {
		return fmt.Errorf("--shutdown-delay %s: want 0 or more", *shutdownDelay)
	}
	opts.CertDir = tlsFlags.certDir
	rc, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("reading the Kubernetes client configuration: %w", err)
	}
	if opts.Images, err = registry.resolver(rc, ctrlmetrics.Registry); err != nil {
		return err
	}
	mgr, err := webhook.NewManager(rc, opts)
	if err != nil {
		return err
	}
	if err := tlsFlags.setup(mgr); err != nil {
		return err
	}
	drain, err := webhook.NewDrain(mgr)
	if err != nil {
		return err
	}
	return drain.Run(ctrl.SetupSignalHandler(), *shutdownDelay, ctrl.Log.WithName("kvenv"))
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

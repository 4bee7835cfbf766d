package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/kvenv/kvenv/webhook/selftls"
)

// TLS modes: where the serving certificate comes from.
const (
	tlsModeExternal    = "external"     // files in --cert-dir, e.g. a mounted cert-manager Secret
	tlsModeSelfManaged = "self-managed" // kvenv creates and rotates its own CA and certificate
)

// bootstrapTimeout bounds the wait for a first certificate; after it the
// process exits and the kubelet restarts it with back-off.
const bootstrapTimeout = 2 * time.Minute

// tlsFlags choose where the serving certificate comes from. Either way the
// webhook server watches the files in certDir and reloads them when they
// change, so a rotation needs no restart.
type tlsFlags struct {
	certDir string
	mode    string
	self    selftls.Options
}

func bindTLSFlags(fs *flag.FlagSet) *tlsFlags {
	f := &tlsFlags{self: selftls.DefaultOptions()}
	fs.StringVar(&f.certDir, "cert-dir", "/tls", "directory holding tls.crt and tls.key (mounted from the cert-manager Secret, or written by self-managed TLS)")
	fs.StringVar(&f.mode, "tls-mode", tlsModeExternal, "where the serving certificate comes from: external (files in --cert-dir, e.g. from cert-manager) or self-managed (kvenv makes, stores and rotates its own CA and certificate, and keeps --webhook-config-name's caBundle current)")
	f.self.BindFlags(fs)
	return f
}

// validate checks the mode right after flag parsing: setup runs only once
// serve has reached the cluster, far too late to report a typo.
func (f *tlsFlags) validate() error {
	switch f.mode {
	case tlsModeExternal, tlsModeSelfManaged:
		return nil
	}
	return fmt.Errorf("--tls-mode %q: want %s (the certificate files in --cert-dir, e.g. from cert-manager) or %s (kvenv makes and rotates its own); the chart sets it from certManager.enabled",
		f.mode, tlsModeExternal, tlsModeSelfManaged)
}

// setup adds what the chosen TLS mode needs to run beside the server. In
// self-managed mode it first waits for a certificate, because the webhook
// server reads its files when it starts.
func (f *tlsFlags) setup(mgr manager.Manager) error {
	if err := f.validate(); err != nil {
		return err
	}
	if f.mode == tlsModeExternal {
		return nil
	}
	opts := f.self
	opts.CertDir = f.certDir
	c, err := kubernetes.NewForConfig(mgr.GetConfig())
	if err != nil {
		return err
	}
	rotator, err := selftls.New(c, opts)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), bootstrapTimeout)
	defer cancel()
	if err := rotator.Bootstrap(log.IntoContext(ctx, mgr.GetLogger())); err != nil {
		return err
	}
	return mgr.Add(rotator)
}

// Command server is the webhook process the HTTPS benchmarks start: the
// real admission server (webhook.NewManager: controller-runtime's TLS
// server, the namespace informer cache, Prometheus metrics, zap logging
// at the production level), with no registry resolver. The harness runs
// it pinned to its own CPU. With --do-nothing it is a bare TLS endpoint
// that answers 200 at once: the ceiling of the harness itself.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"path/filepath"
	"strconv"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/kvenv/kvenv/webhook"
)

func main() {
	if err := mainErr(); err != nil {
		fmt.Fprintln(os.Stderr, "kvenv bench server:", err)
		os.Exit(1)
	}
}

func mainErr() error {
	opts := webhook.ServerOptions{Config: webhook.DefaultConfig()}
	flag.StringVar(&opts.Host, "host", "127.0.0.1", "address to listen on")
	flag.IntVar(&opts.Port, "port", 9443, "HTTPS port")
	flag.StringVar(&opts.CertDir, "cert-dir", "", "directory holding tls.crt and tls.key")
	flag.StringVar(&opts.Config.InjectorImage, "injector-image", "registry.example/kvenv:bench", "the init container's image")
	doNothing := flag.Bool("do-nothing", false, "serve a bare TLS endpoint instead of the webhook")
	pprofAddr := flag.String("pprof-addr", "", "serve net/http/pprof here (loopback), to profile the server under load")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse() // --kubeconfig is controller-runtime's own flag
	if *pprofAddr != "" {
		go http.ListenAndServe(*pprofAddr, nil) // the default mux holds the pprof handlers
	}
	if *doNothing {
		return serveNothing(opts)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	// As in production, metrics and probes are served, here on loopback.
	opts.MetricsAddr, opts.ProbeAddr = "127.0.0.1:0", "127.0.0.1:0"
	rc, err := ctrl.GetConfig()
	if err != nil {
		return err
	}
	mgr, err := webhook.NewManager(rc, opts)
	if err != nil {
		return err
	}
	return mgr.Start(ctrl.SetupSignalHandler())
}

// serveNothing answers every request with an empty 200, over the same TLS
// certificate: what is left is TLS, HTTP/1.1 and the load generator.
func serveNothing(opts webhook.ServerOptions) error {
	cert, err := tls.LoadX509KeyPair(filepath.Join(opts.CertDir, "tls.crt"), filepath.Join(opts.CertDir, "tls.key"))
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:      net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port)),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("{}"))
		}),
	}
	return srv.ListenAndServeTLS("", "")
}

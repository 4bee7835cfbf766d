// Package testcluster starts a real kube-apiserver and etcd for kvenv's tests,
// from the binaries that `make tools` (hack/build-tools.sh) builds from the Go
// module proxy into a cache keyed by what is built.
package testcluster

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// RequireEnv makes a missing binary a test failure instead of a skip. `make
// test` and CI set it, so the suite cannot silently pass without the real
// API server; a bare `go test ./...` on a machine without the cache skips.
const RequireEnv = "KVENV_REQUIRE_CLUSTER"

// APIServer is a running kube-apiserver + etcd.
type APIServer struct {
	Config  *rest.Config
	Client  kubernetes.Interface
	Webhook *envtest.WebhookInstallOptions // serving host, port, cert dir and CA for a local webhook
	env     *envtest.Environment
}

// BinDir is where hack/build-tools.sh puts the binaries.
func BinDir() string {
	if d := os.Getenv("KVENV_TOOLS_BIN"); d != "" {
		return d
	}
	cache := os.Getenv("KVENV_CACHE")
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = filepath.Join(os.Getenv("HOME"), ".cache")
		}
		cache = filepath.Join(base, "kvenv")
	}
	return filepath.Join(cache, "bin")
}

// NeedBinaries skips (or, under RequireEnv, fails) a test when a binary is missing.
func NeedBinaries(t testing.TB, names ...string) string {
	t.Helper()
	dir := BinDir()
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			msg := missingBinary(dir, n)
			if os.Getenv(RequireEnv) != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return dir
}

// Make targets that build the tools cache, as the Makefile names them:
// `make tools` builds the API server's group and Helm, `make cluster-tools`
// everything else a node needs (kubectl included).
const (
	makeTools        = "`make tools` (hack/build-tools.sh apiserver helm)"
	makeClusterTools = "`make cluster-tools` (hack/build-tools.sh cluster)"
)

// builtByMakeTools are the binaries of `make tools`; any other comes from
// `make cluster-tools`.
var builtByMakeTools = map[string]bool{"etcd": true, "kube-apiserver": true, "helm": true}

// missingBinary says which binary is missing from dir and which make
// target builds it.
func missingBinary(dir, name string) string {
	target := makeClusterTools
	if builtByMakeTools[name] {
		target = makeTools
	}
	return "kvenv: " + name + " not found in " + dir + ": run " + target + " first"
}

// StartAPIServer starts kube-apiserver and etcd, installs the given webhook
// configurations (their clientConfig must carry a URL; the CA is filled in),
// and stops everything when the test ends.
func StartAPIServer(t testing.TB, webhooks ...*admissionv1.MutatingWebhookConfiguration) *APIServer {
	t.Helper()
	dir := NeedBinaries(t, "etcd", "kube-apiserver")
	env := &envtest.Environment{
		BinaryAssetsDirectory: dir,
		WebhookInstallOptions: envtest.WebhookInstallOptions{MutatingWebhooks: webhooks},
	}
	// envtest rewrites service references into URLs with a double slash, so
	// remember each webhook's path and write the URL ourselves.
	var paths []string
	for _, mwc := range webhooks {
		for i := range mwc.Webhooks {
			paths = append(paths, urlPath(&mwc.Webhooks[i].ClientConfig))
		}
	}
	opts := &env.WebhookInstallOptions
	if err := opts.PrepWithoutInstalling(); err != nil {
		t.Fatalf("kvenv: preparing the webhook serving certificate: %v", err)
	}
	for _, mwc := range webhooks {
		for i := range mwc.Webhooks {
			url := "https://" + net.JoinHostPort(opts.LocalServingHost, strconv.Itoa(opts.LocalServingPort)) + paths[0]
			paths = paths[1:]
			mwc.Webhooks[i].ClientConfig.URL, mwc.Webhooks[i].ClientConfig.Service = &url, nil
		}
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("kvenv: starting kube-apiserver and etcd from %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Logf("kvenv: stopping the API server: %v", err)
		}
	})
	return &APIServer{Config: cfg, Client: kubernetes.NewForConfigOrDie(cfg), Webhook: &env.WebhookInstallOptions, env: env}
}

func urlPath(cc *admissionv1.WebhookClientConfig) string {
	if cc.Service != nil && cc.Service.Path != nil {
		return *cc.Service.Path
	}
	return "/"
}

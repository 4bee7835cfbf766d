package imageconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
)

// newTransport returns the transport for every registry, token and ACR
// exchange request: the system roots plus CABundle, behind httpsOnly.
func newTransport(o Options, insecure map[string]bool) (http.RoundTripper, error) {
	inner := o.Transport
	if inner == nil {
		roots, err := rootsWith(o.CABundle)
		if err != nil {
			return nil, err
		}
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		inner = t
	}
	return &httpsOnly{inner: inner, insecure: insecure}, nil
}

func rootsWith(bundle []byte) (*x509.CertPool, error) {
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool() // no system store (scratch image): the bundle alone
	}
	if len(bundle) > 0 && !roots.AppendCertsFromPEM(bundle) {
		return nil, errors.New("imageconfig: CABundle holds no PEM certificate")
	}
	return roots, nil
}

// httpsOnly refuses plain HTTP to hosts not configured insecure. The
// registry client falls back to HTTP by itself for loopback and private
// addresses; kvenv must not send credentials, nor trust an ENTRYPOINT, over
// a connection anyone on the path can read or change, unless told to.
type httpsOnly struct {
	inner    http.RoundTripper
	insecure map[string]bool
}

func (t *httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !t.allowsHTTP(req.URL.Host) {
		if req.Body != nil {
			req.Body.Close() // RoundTrip must close it, even on error
		}
		return nil, fmt.Errorf("plain HTTP to %s refused: it is not configured as an insecure registry", req.URL.Host)
	}
	return t.inner.RoundTrip(req)
}

func (t *httpsOnly) allowsHTTP(host string) bool {
	if t.insecure[host] {
		return true
	}
	h, port, err := net.SplitHostPort(host)
	return err == nil && port == "80" && t.insecure[h]
}

package fetch

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// NewHTTPClient trusts the system roots plus the PEM certificates in caPEM,
// for Key Vault and Entra ID alike: a private cloud or a TLS-inspecting proxy
// re-signs both.
func NewHTTPClient(caPEM []byte) (*http.Client, error) {
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool() // no system roots (scratch image): trust the bundle alone
	}
	if len(caPEM) > 0 && !roots.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("KVENV_CA_BUNDLE holds no PEM certificate: set it to one or more -----BEGIN CERTIFICATE----- blocks")
	}
	base, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil, fmt.Errorf("http.DefaultTransport is a %T, want *http.Transport", http.DefaultTransport)
	}
	t := base.Clone() // keeps proxy settings from the environment
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: t}, nil
}

// failFastOnCertificates makes certificate errors final: retrying cannot fix
// an untrusted CA, and waiting out --timeout would hide the cause.
func failFastOnCertificates(next policy.Transporter) policy.Transporter {
	return transporterFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := next.Do(r)
		if err != nil && certificateError(err) {
			return resp, &finalError{err}
		}
		return resp, err
	})
}

func certificateError(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}

type transporterFunc func(*http.Request) (*http.Response, error)

func (f transporterFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// finalError tells the SDK's retry policy not to retry (it looks for a
// NonRetriable method).
type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }
func (e *finalError) NonRetriable() {}

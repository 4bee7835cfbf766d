package cluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certValidity covers any test or demo run with a wide margin.
const certValidity = 7 * 24 * time.Hour

// pki is the cluster's certificate authority; every certificate of the
// cluster (servers and clients) is signed by it.
type pki struct {
	dir   string
	cert  *x509.Certificate
	key   crypto.Signer
	CAPEM []byte
}

// certSpec names who a certificate is for.
type certSpec struct {
	commonName string
	orgs       []string // Kubernetes groups of a client certificate
	dnsNames   []string
	ips        []net.IP
	server     bool
}

func newPKI(dir string) (*pki, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kvenv-e2e-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	p := &pki{dir: dir, cert: cert, key: key, CAPEM: pemBlock("CERTIFICATE", der)}
	if err := os.WriteFile(p.path("ca.crt"), p.CAPEM, 0o644); err != nil {
		return nil, err
	}
	// The controller-manager signs CertificateSigningRequests with it.
	return p, writeKey(p.path("ca.key"), key)
}

func writeKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pemBlock("PRIVATE KEY", der), 0o600)
}

func (p *pki) path(name string) string { return filepath.Join(p.dir, name) }

// issue writes name.crt and name.key, signed by the CA.
func (p *pki) issue(name string, spec certSpec) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	usage := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if spec.server {
		usage = append(usage, x509.ExtKeyUsageServerAuth)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: spec.commonName, Organization: spec.orgs},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  usage,
		DNSNames:     spec.dnsNames,
		IPAddresses:  spec.ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, key.Public(), p.key)
	if err != nil {
		return fmt.Errorf("signing the %s certificate: %w", name, err)
	}
	if err := os.WriteFile(p.path(name+".crt"), pemBlock("CERTIFICATE", der), 0o644); err != nil {
		return err
	}
	return writeKey(p.path(name+".key"), key)
}

// writeServiceAccountKeys writes sa.key and sa.pub: the API server signs
// service-account tokens with it (RS256, what token verifiers expect) and
// publishes the public half at /openid/v1/jwks.
func (p *pki) writeServiceAccountKeys() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	if err := os.WriteFile(p.path("sa.key"), pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)), 0o600); err != nil {
		return err
	}
	return os.WriteFile(p.path("sa.pub"), pemBlock("PUBLIC KEY", pub), 0o644)
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

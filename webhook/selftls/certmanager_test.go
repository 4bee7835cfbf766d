package selftls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"
)

// certManagerSecretData is what cert-manager leaves in the serving
// Certificate's Secret in the chart's cert-manager mode: a CA Issuer's CA in
// ca.crt (its key stays in another Secret), a certificate for hosts in
// tls.crt and its ECDSA key in tls.key, SEC 1 encoded as cert-manager's
// default encoding writes it. Both are valid from an hour before now.
func certManagerSecretData(t testing.TB, hosts []string, now time.Time) map[string][]byte {
	t.Helper()
	caKey, caCert := certManagerCert(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "kvenv-ca.kvenv"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, now, 90*24*time.Hour, nil, nil)
	leaf := &x509.Certificate{
		Subject:     pkix.Name{CommonName: hosts[0]},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leaf.IPAddresses = append(leaf.IPAddresses, ip)
		} else {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	servingKey, servingCert := certManagerCert(t, leaf, now, 30*24*time.Hour, caCert, caKey)
	keyDER, err := x509.MarshalECPrivateKey(servingKey)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		KeyCACert:      pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caCert.Raw}),
		KeyServingCert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: servingCert.Raw}),
		KeyServingKey:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}
}

// certManagerCert signs tmpl with parent's key (self-signed when parent is nil).
func certManagerCert(t testing.TB, tmpl *x509.Certificate, now time.Time, validity time.Duration, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber, tmpl.NotBefore, tmpl.NotAfter = serial, now.Add(-time.Hour), now.Add(validity)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

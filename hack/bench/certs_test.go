package bench

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/kvenv/kvenv/internal/azurefake"
)

// selfSignedLoopback writes a certificate for 127.0.0.1 into a directory
// as tls.crt and tls.key, and returns the pool that trusts it.
func selfSignedLoopback(b *testing.B) (*x509.CertPool, string) {
	ca, err := azurefake.NewCA()
	if err != nil {
		b.Fatal(err)
	}
	cert, err := ca.Issue("127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	key, err := x509.MarshalECPrivateKey(cert.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	write := func(name, typ string, der []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	write("tls.crt", "CERTIFICATE", cert.Certificate[0])
	write("tls.key", "EC PRIVATE KEY", key)
	return ca.Pool(), dir
}

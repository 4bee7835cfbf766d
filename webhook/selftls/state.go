package selftls

import (
	"bytes"
	"crypto/x509"
	"time"
)

// Keys of the Secret. tls.crt and tls.key make it a kubernetes.io/tls Secret
// that any tool understands; the CA key never leaves the Secret.
const (
	KeyServingCert = "tls.crt"       // serving certificate, PEM
	KeyServingKey  = "tls.key"       // its private key, PKCS#8 PEM
	KeyCACert      = "ca.crt"        // the CA that signs new serving certificates
	KeyCAKey       = "ca.key"        // its private key
	KeyCABundle    = "ca-bundle.crt" // every CA the webhook configuration trusts: the current one first
)

// state is what the Secret holds, parsed. A part that is missing or does not
// parse is nil, and the policy replaces it.
type state struct {
	ca      *keyPair
	trusted []*x509.Certificate
	serving *keyPair
}

func decodeState(data map[string][]byte) state {
	var s state
	if kp, err := parseKeyPair(data[KeyCACert], data[KeyCAKey]); err == nil && kp.cert.IsCA {
		s.ca = kp
	}
	if kp, err := parseKeyPair(data[KeyServingCert], data[KeyServingKey]); err == nil {
		s.serving = kp
	}
	s.trusted, _ = parseCerts(data[KeyCABundle])
	if s.ca == nil {
		// A ca.crt without ca.key is another issuer's, typically cert-manager's
		// before a switch to self-managed TLS: replicas still serve certificates
		// it signed, so it stays trusted (see policy.trust).
		issuerCAs, _ := parseCerts(data[KeyCACert])
		s.trusted = appendMissing(s.trusted, issuerCAs...)
	}
	return s
}

func (s state) encode() map[string][]byte {
	return map[string][]byte{
		KeyCACert:      s.ca.certPEM,
		KeyCAKey:       s.ca.keyPEM,
		KeyCABundle:    s.bundlePEM(),
		KeyServingCert: s.serving.certPEM,
		KeyServingKey:  s.serving.keyPEM,
	}
}

func (s state) bundlePEM() []byte { return encodeCerts(s.trusted) }

// servedBy reports whether the serving certificate was signed by the current CA.
func (s state) servedBy() bool {
	return s.serving != nil && s.ca != nil && s.serving.cert.CheckSignatureFrom(s.ca.cert) == nil
}

// nextEvent is the earliest time the policy would change something, given
// when the webhook configuration's caBundle began trusting the CA (zero: it
// does not yet, so look again soon).
func (s state) nextEvent(p policy, caTrustedSince time.Time) time.Time {
	next := renewAt(s.ca.cert)
	candidates := []time.Time{renewAt(s.serving.cert), s.serving.cert.NotAfter}
	if !s.servedBy() {
		candidates = append(candidates, p.settledAt(caTrustedSince))
	}
	handoverEnds := p.handoverEnds(s)
	for _, c := range s.trusted {
		candidates = append(candidates, c.NotAfter)
		if !p.isOwnCA(c) {
			candidates = append(candidates, handoverEnds)
		}
	}
	for _, t := range candidates {
		if t.Before(next) {
			next = t
		}
	}
	return next
}

func containsCert(certs []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range certs {
		if bytes.Equal(x.Raw, c.Raw) {
			return true
		}
	}
	return false
}

// appendMissing appends those of certs that list does not hold yet.
func appendMissing(list []*x509.Certificate, certs ...*x509.Certificate) []*x509.Certificate {
	for _, c := range certs {
		if !containsCert(list, c) {
			list = append(list, c)
		}
	}
	return list
}

package selftls

import (
	"crypto/x509"
	"slices"
	"testing"
	"time"
)

var (
	t0         = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	testPolicy = policy{
		caName: "kvenv-webhook-ca.test", hosts: []string{"kvenv.kvenv.svc", "127.0.0.1"},
		caValidity: 30 * 24 * time.Hour, certValidity: 3 * 24 * time.Hour,
		propagation: time.Minute, handover: time.Hour,
	}
	// untrusted is a webhook configuration whose caBundle lacks the Secret's CA.
	untrusted = observed{}
)

// trustedSince is a webhook configuration whose caBundle has trusted the
// Secret's CA since at.
func trustedSince(at time.Time) observed { return observed{caTrustedSince: at} }

// fresh is what a first reconcile writes into an empty Secret.
func fresh(t *testing.T) state {
	t.Helper()
	s, reasons, err := testPolicy.next(state{}, t0, untrusted)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(reasons, []string{"no CA yet", "trust bundle changed", "no serving certificate yet"}) {
		t.Fatalf("reasons for an empty Secret: %q", reasons)
	}
	return s
}

func mustNext(t *testing.T, cur state, now time.Time, obs observed, wantReasons ...string) state {
	t.Helper()
	next, reasons, err := testPolicy.next(cur, now, obs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(reasons, wantReasons) {
		t.Fatalf("at %s (caBundle trusts the CA since %s): reasons %q, want %q", now.Sub(t0), obs.caTrustedSince, reasons, wantReasons)
	}
	return next
}

func TestFreshStateIsConsistent(t *testing.T) {
	s := fresh(t)
	if !s.servedBy() {
		t.Fatal("serving certificate is not signed by the CA")
	}
	if !testPolicy.coversHosts(s.serving.cert) {
		t.Fatalf("serving certificate names %v %v", s.serving.cert.DNSNames, s.serving.cert.IPAddresses)
	}
	if len(s.trusted) != 1 || !s.trusted[0].Equal(s.ca.cert) {
		t.Fatalf("trust bundle is not just the CA: %d certificates", len(s.trusted))
	}
	if err := s.serving.cert.VerifyHostname("kvenv.kvenv.svc"); err != nil {
		t.Fatal(err)
	}
}

func TestNothingChangesBeforeRenewal(t *testing.T) {
	s := fresh(t)
	mustNext(t, s, renewAt(s.serving.cert).Add(-time.Second), trustedSince(t0))
}

func TestServingCertificateRenewsAtTwoThirds(t *testing.T) {
	s := fresh(t)
	at := renewAt(s.serving.cert)
	if want := t0.Add(2 * 24 * time.Hour); !at.Equal(want) {
		t.Fatalf("renewal at %s, want two thirds of 3 days after issue (%s)", at, want)
	}
	next := mustNext(t, s, at, trustedSince(t0), "serving certificate due for renewal")
	if next.ca != s.ca || next.serving == s.serving || !next.servedBy() {
		t.Fatal("want a new serving certificate from the same CA")
	}
}

func TestServingRenewalWaitsForTheWebhookToTrustTheCA(t *testing.T) {
	s := fresh(t)
	mustNext(t, s, renewAt(s.serving.cert), untrusted)
}

func TestCARotationKeepsTheOldCATrustedAndServedUntilSettled(t *testing.T) {
	s := fresh(t)
	rotatedAt := renewAt(s.ca.cert)
	// Keep the serving certificate young so that only the CA is due.
	s.serving, _ = newServingCert(s.ca, testPolicy.hosts, rotatedAt.Add(-time.Hour), testPolicy.certValidity)
	rotated := mustNext(t, s, rotatedAt, trustedSince(t0), "CA due for renewal", "trust bundle changed")
	if rotated.ca == s.ca || rotated.serving != s.serving {
		t.Fatal("want a new CA and the old serving certificate")
	}
	if len(rotated.trusted) != 2 || !rotated.trusted[0].Equal(rotated.ca.cert) || !rotated.trusted[1].Equal(s.ca.cert) {
		t.Fatal("want the trust bundle to hold the new CA, then the old one")
	}
	// Not before the API server can have seen the new CA ...
	mustNext(t, rotated, rotatedAt.Add(testPolicy.propagation-time.Second), trustedSince(rotatedAt))
	// ... nor while the webhook configuration does not list it.
	settled := rotatedAt.Add(testPolicy.propagation)
	mustNext(t, rotated, settled, untrusted)
	moved := mustNext(t, rotated, settled, trustedSince(rotatedAt), "serving certificate moves to the new CA")
	if !moved.servedBy() || len(moved.trusted) != 2 {
		t.Fatal("want the serving certificate from the new CA, both CAs still trusted")
	}
	oldExpiry := s.ca.cert.NotAfter
	moved.serving, _ = newServingCert(moved.ca, testPolicy.hosts, oldExpiry.Add(-time.Hour), testPolicy.certValidity)
	pruned := mustNext(t, moved, oldExpiry, trustedSince(rotatedAt), "trust bundle changed")
	if len(pruned.trusted) != 1 || !pruned.trusted[0].Equal(moved.ca.cert) {
		t.Fatal("want the expired CA dropped from the trust bundle")
	}
}

func TestHostChangeReissuesAtOnce(t *testing.T) {
	s := fresh(t)
	p := testPolicy
	p.hosts = []string{"kvenv.other.svc"}
	next, reasons, err := p.next(s, t0.Add(time.Hour), untrusted)
	if err != nil || !slices.Equal(reasons, []string{"serving certificate names other hosts"}) {
		t.Fatalf("reasons %q, err %v", reasons, err)
	}
	if err := next.serving.cert.VerifyHostname("kvenv.other.svc"); err != nil {
		t.Fatal(err)
	}
}

func TestAnExpiredServingCertificateIsReplacedEvenUntrusted(t *testing.T) {
	s := fresh(t)
	mustNext(t, s, s.serving.cert.NotAfter, untrusted, "serving certificate expired")
}

func TestStateSurvivesTheSecret(t *testing.T) {
	s := fresh(t)
	got := decodeState(s.encode())
	if !got.ca.cert.Equal(s.ca.cert) || !got.serving.cert.Equal(s.serving.cert) || len(got.trusted) != 1 {
		t.Fatal("decode(encode(s)) differs from s")
	}
	mustNext(t, got, t0.Add(time.Hour), trustedSince(t0))
}

func TestGarbageInTheSecretIsReplaced(t *testing.T) {
	s := fresh(t)
	data := s.encode()
	data[KeyServingKey] = data[KeyCAKey] // a key that does not match tls.crt
	got := decodeState(data)
	if got.serving != nil || got.ca == nil {
		t.Fatal("want the mismatched serving pair dropped and the CA kept")
	}
	mustNext(t, got, t0.Add(time.Hour), trustedSince(t0), "no serving certificate yet")
}

// TestPropagationCountsFromTheCABundle: a replica wrote a new CA to the
// Secret but failed to update the caBundle; another replica added it a
// minute later. The CA's issue time says nothing about when the API server
// learnt it: a certificate from it waits the full delay after the caBundle.
func TestPropagationCountsFromTheCABundle(t *testing.T) {
	s := fresh(t)
	rotatedAt := renewAt(s.ca.cert)
	s.serving, _ = newServingCert(s.ca, testPolicy.hosts, rotatedAt.Add(-time.Hour), testPolicy.certValidity)
	rotated := mustNext(t, s, rotatedAt, trustedSince(t0), "CA due for renewal", "trust bundle changed")
	bundleAt := rotatedAt.Add(time.Minute)
	mustNext(t, rotated, bundleAt.Add(5*time.Second), trustedSince(bundleAt))
	mustNext(t, rotated, bundleAt.Add(testPolicy.propagation-time.Second), trustedSince(bundleAt))
	mustNext(t, rotated, bundleAt.Add(testPolicy.propagation), trustedSince(bundleAt), "serving certificate moves to the new CA")
	if got, want := rotated.nextEvent(testPolicy, bundleAt), bundleAt.Add(testPolicy.propagation); !got.Equal(want) {
		t.Fatalf("next event at %s, want when the caBundle has settled (%s)", got, want)
	}
}

func TestCertManagerKeysAreRead(t *testing.T) {
	s := decodeState(certManagerSecretData(t, testPolicy.hosts, t0))
	if s.serving == nil {
		t.Fatal("cert-manager's serving certificate with its SEC 1 key was not read")
	}
	if s.ca != nil || len(s.trusted) != 1 || !s.trusted[0].IsCA {
		t.Fatalf("want no kvenv CA and cert-manager's CA trusted, got CA %v and %d trusted", s.ca != nil, len(s.trusted))
	}
}

// TestSwitchFromCertManagerNeverServesAnUntrustedCertificate walks the switch
// from cert-manager to self-managed TLS, with cert-manager's CA known from
// the Secret's ca.crt, from the caBundle cert-manager injected, or both. At
// every step, the certificate the Secret holds and the one replicas still in
// cert-manager mode serve verify against the trust bundle written to the
// caBundle, until the handover after kvenv's certificate is served.
func TestSwitchFromCertManagerNeverServesAnUntrustedCertificate(t *testing.T) {
	for _, source := range []string{"ca.crt and caBundle", "ca.crt only", "caBundle only"} {
		t.Run(source, func(t *testing.T) {
			data := certManagerSecretData(t, testPolicy.hosts, t0)
			certManagerCA := certsOf(t, data[KeyCACert])[0]
			certManagerServing := certsOf(t, data[KeyServingCert])[0]
			var obs observed
			if source != "ca.crt only" {
				obs.bundle = []*x509.Certificate{certManagerCA}
			}
			if source == "caBundle only" {
				delete(data, KeyCACert)
			}
			cur := decodeState(data)

			switched := mustNext(t, cur, t0, obs, "no CA yet", "trust bundle changed")
			if switched.serving != cur.serving {
				t.Fatal("cert-manager's certificate was replaced before kvenv's CA could be trusted")
			}
			for _, c := range []*x509.Certificate{certManagerServing, switched.serving.cert} {
				mustVerify(t, c, switched.trusted, t0)
			}

			settled := t0.Add(testPolicy.propagation)
			moved := mustNext(t, switched, settled, trustedSince(t0), "serving certificate moves to the new CA")
			for _, c := range []*x509.Certificate{certManagerServing, moved.serving.cert} {
				mustVerify(t, c, moved.trusted, settled)
			}

			handoverEnds := settled.Add(testPolicy.handover)
			if got := moved.nextEvent(testPolicy, t0); !got.Equal(handoverEnds) {
				t.Fatalf("next event at %s, want the end of the handover (%s)", got.Sub(t0), handoverEnds.Sub(t0))
			}
			mustNext(t, moved, handoverEnds.Add(-time.Second), trustedSince(t0))
			done := mustNext(t, moved, handoverEnds, trustedSince(t0), "trust bundle changed")
			if len(done.trusted) != 1 || !done.trusted[0].Equal(done.ca.cert) {
				t.Fatalf("after the handover the trust bundle holds %d CAs, want kvenv's alone", len(done.trusted))
			}
			mustVerify(t, done.serving.cert, done.trusted, handoverEnds)
		})
	}
}

func mustVerify(t *testing.T, c *x509.Certificate, roots []*x509.Certificate, now time.Time) {
	t.Helper()
	pool := x509.NewCertPool()
	for _, r := range roots {
		pool.AddCert(r)
	}
	_, err := c.Verify(x509.VerifyOptions{Roots: pool, DNSName: testPolicy.hosts[0], CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		t.Fatalf("at %s the certificate issued by %q does not verify against the trust bundle: %v", now.Sub(t0), c.Issuer.CommonName, err)
	}
}

func certsOf(t *testing.T, pemData []byte) []*x509.Certificate {
	t.Helper()
	certs, err := parseCerts(pemData)
	if err != nil || len(certs) == 0 {
		t.Fatalf("no certificate: %v", err)
	}
	return certs
}

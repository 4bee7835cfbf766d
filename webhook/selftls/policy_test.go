package selftls

import (
	"slices"
	"testing"
	"time"
)

var (
	t0         = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	testPolicy = policy{
		caName: "kvenv-webhook-ca.test", hosts: []string{"kvenv.kvenv.svc", "127.0.0.1"},
		caValidity: 30 * 24 * time.Hour, certValidity: 3 * 24 * time.Hour, propagation: time.Minute,
	}
)

// fresh is what a first reconcile writes into an empty Secret.
func fresh(t *testing.T) state {
	t.Helper()
	s, reasons, err := testPolicy.next(state{}, t0, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(reasons, []string{"no CA yet", "trust bundle changed", "no serving certificate yet"}) {
		t.Fatalf("reasons for an empty Secret: %q", reasons)
	}
	return s
}

func mustNext(t *testing.T, cur state, now time.Time, trusted bool, wantReasons ...string) state {
	t.Helper()
	next, reasons, err := testPolicy.next(cur, now, trusted)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(reasons, wantReasons) {
		t.Fatalf("at %s (webhook trusts CA: %v): reasons %q, want %q", now.Sub(t0), trusted, reasons, wantReasons)
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
	mustNext(t, s, renewAt(s.serving.cert).Add(-time.Second), true)
}

func TestServingCertificateRenewsAtTwoThirds(t *testing.T) {
	s := fresh(t)
	at := renewAt(s.serving.cert)
	if want := t0.Add(2 * 24 * time.Hour); !at.Equal(want) {
		t.Fatalf("renewal at %s, want two thirds of 3 days after issue (%s)", at, want)
	}
	next := mustNext(t, s, at, true, "serving certificate due for renewal")
	if next.ca != s.ca || next.serving == s.serving || !next.servedBy() {
		t.Fatal("want a new serving certificate from the same CA")
	}
}

func TestServingRenewalWaitsForTheWebhookToTrustTheCA(t *testing.T) {
	s := fresh(t)
	mustNext(t, s, renewAt(s.serving.cert), false)
}

func TestCARotationKeepsTheOldCATrustedAndServedUntilSettled(t *testing.T) {
	s := fresh(t)
	rotatedAt := renewAt(s.ca.cert)
	// Keep the serving certificate young so that only the CA is due.
	s.serving, _ = newServingCert(s.ca, testPolicy.hosts, rotatedAt.Add(-time.Hour), testPolicy.certValidity)
	rotated := mustNext(t, s, rotatedAt, true, "CA due for renewal", "trust bundle changed")
	if rotated.ca == s.ca || rotated.serving != s.serving {
		t.Fatal("want a new CA and the old serving certificate")
	}
	if len(rotated.trusted) != 2 || !rotated.trusted[0].Equal(rotated.ca.cert) || !rotated.trusted[1].Equal(s.ca.cert) {
		t.Fatal("want the trust bundle to hold the new CA, then the old one")
	}
	// Not before the API server can have seen the new CA ...
	mustNext(t, rotated, rotatedAt.Add(testPolicy.propagation-time.Second), true)
	// ... nor while the webhook configuration does not list it.
	settled := rotatedAt.Add(testPolicy.propagation)
	mustNext(t, rotated, settled, false)
	moved := mustNext(t, rotated, settled, true, "serving certificate moves to the new CA")
	if !moved.servedBy() || len(moved.trusted) != 2 {
		t.Fatal("want the serving certificate from the new CA, both CAs still trusted")
	}
	oldExpiry := s.ca.cert.NotAfter
	moved.serving, _ = newServingCert(moved.ca, testPolicy.hosts, oldExpiry.Add(-time.Hour), testPolicy.certValidity)
	pruned := mustNext(t, moved, oldExpiry, true, "trust bundle changed")
	if len(pruned.trusted) != 1 || !pruned.trusted[0].Equal(moved.ca.cert) {
		t.Fatal("want the expired CA dropped from the trust bundle")
	}
}

func TestHostChangeReissuesAtOnce(t *testing.T) {
	s := fresh(t)
	p := testPolicy
	p.hosts = []string{"kvenv.other.svc"}
	next, reasons, err := p.next(s, t0.Add(time.Hour), false)
	if err != nil || !slices.Equal(reasons, []string{"serving certificate names other hosts"}) {
		t.Fatalf("reasons %q, err %v", reasons, err)
	}
	if err := next.serving.cert.VerifyHostname("kvenv.other.svc"); err != nil {
		t.Fatal(err)
	}
}

func TestAnExpiredServingCertificateIsReplacedEvenUntrusted(t *testing.T) {
	s := fresh(t)
	mustNext(t, s, s.serving.cert.NotAfter, false, "serving certificate expired")
}

func TestStateSurvivesTheSecret(t *testing.T) {
	s := fresh(t)
	got := decodeState(s.encode())
	if !got.ca.cert.Equal(s.ca.cert) || !got.serving.cert.Equal(s.serving.cert) || len(got.trusted) != 1 {
		t.Fatal("decode(encode(s)) differs from s")
	}
	mustNext(t, got, t0.Add(time.Hour), true)
}

func TestGarbageInTheSecretIsReplaced(t *testing.T) {
	s := fresh(t)
	data := s.encode()
	data[KeyServingKey] = data[KeyCAKey] // a key that does not match tls.crt
	got := decodeState(data)
	if got.serving != nil || got.ca == nil {
		t.Fatal("want the mismatched serving pair dropped and the CA kept")
	}
	mustNext(t, got, t0.Add(time.Hour), true, "no serving certificate yet")
}

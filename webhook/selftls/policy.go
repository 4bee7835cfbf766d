package selftls

import (
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"
)

// policy decides, from what the Secret holds, what the webhook configuration
// shows and the time, what the Secret should hold. It is a pure function of
// its inputs, so every replica that reads the same objects at the same time
// wants the same thing and none undoes another.
type policy struct {
	caName       string
	hosts        []string
	caValidity   time.Duration
	certValidity time.Duration
	propagation  time.Duration
	handover     time.Duration
}

// observed is what the webhook configuration shows the policy.
type observed struct {
	// caTrustedSince is when its caBundle was first seen trusting the Secret's
	// CA; zero while it does not.
	caTrustedSince time.Time
	// bundle is every CA its caBundle holds now.
	bundle []*x509.Certificate
}

// next returns the wanted state and why it differs from cur (no reasons: keep
// cur). A certificate from cur's CA is served only once the caBundle has
// trusted that CA for the propagation delay.
func (p policy) next(cur state, now time.Time, obs observed) (state, []string, error) {
	next, reasons := cur, []string(nil)
	if cur.ca == nil || !now.Before(renewAt(cur.ca.cert)) {
		ca, err := newCA(p.caName, now, p.caValidity)
		if err != nil {
			return cur, nil, err
		}
		next.ca = ca
		reasons = append(reasons, caReason(cur.ca))
	}
	next.trusted = p.trust(next, p.inheritedTrust(cur, obs), now)
	if !slices.EqualFunc(next.trusted, cur.trusted, (*x509.Certificate).Equal) {
		reasons = append(reasons, "trust bundle changed")
	}
	settled := next.ca == cur.ca && p.settled(obs.caTrustedSince, now)
	why := p.servingReason(next, now, settled)
	if why == "" {
		return next, reasons, nil
	}
	serving, err := newServingCert(next.ca, p.hosts, now, p.certValidity)
	if err != nil {
		return cur, nil, err
	}
	next.serving = serving
	return next, append(reasons, why), nil
}

func caReason(old *keyPair) string {
	if old == nil {
		return "no CA yet"
	}
	return "CA due for renewal"
}

// inheritedTrust is what the trust bundle starts from. Before kvenv has a CA
// of its own (a switch from cert-manager, or a Secret whose CA key was lost)
// the replicas still serve a certificate that the caBundle's CAs signed, so
// those are carried over too: dropping them would refuse every opted-in pod.
func (p policy) inheritedTrust(cur state, obs observed) []*x509.Certificate {
	if cur.ca != nil {
		return cur.trusted
	}
	return appendMissing(slices.Clone(cur.trusted), obs.bundle...)
}

// trust keeps every CA that a served certificate may still chain to: the
// current one, older kvenv CAs until they expire, so that replicas still
// serving an older certificate keep passing the API server's handshake, and
// another issuer's CAs until the handover after a switch ends.
func (p policy) trust(s state, old []*x509.Certificate, now time.Time) []*x509.Certificate {
	out := []*x509.Certificate{s.ca.cert}
	for _, c := range old {
		if !now.Before(c.NotAfter) || containsCert(out, c) {
			continue
		}
		if p.isOwnCA(c) || now.Before(p.handoverEnds(s)) {
			out = append(out, c)
		}
	}
	return out
}

// isOwnCA tells kvenv's CAs (see newCA) from another issuer's.
func (p policy) isOwnCA(c *x509.Certificate) bool { return isCAOf(c, p.caName) }

// isCAOf reports whether c is a CA newCA made under caName.
func isCAOf(c *x509.Certificate, caName string) bool {
	return strings.HasPrefix(c.Subject.CommonName, caName+"@")
}

// handoverEnds is when another issuer's CAs may leave the trust bundle: the
// handover after kvenv's CA signed the served certificate, long enough for
// every replica (and a cert-manager-mode replica's mounted Secret) to have
// picked that certificate up. Until kvenv's certificate is served: never.
func (p policy) handoverEnds(s state) time.Time {
	if !s.servedBy() {
		return maxTime
	}
	return issuedAt(s.serving.cert).Add(p.handover)
}

// maxTime is later than any certificate's expiry.
var maxTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// servingReason says why a new serving certificate is needed, or "". A
// certificate from a CA the API server may not trust yet is made only when
// the old one is unusable.
func (p policy) servingReason(s state, now time.Time, caSettled bool) string {
	switch {
	case s.serving == nil:
		return "no serving certificate yet"
	case !now.Before(s.serving.cert.NotAfter):
		return "serving certificate expired"
	case !p.coversHosts(s.serving.cert):
		return "serving certificate names other hosts"
	}
	if !caSettled {
		return ""
	}
	switch {
	case !s.servedBy():
		return "serving certificate moves to the new CA"
	case !now.Before(renewAt(s.serving.cert)):
		return "serving certificate due for renewal"
	}
	return ""
}

// settled reports whether the caBundle has trusted the CA long enough for
// the API server to have picked it up.
func (p policy) settled(caTrustedSince, now time.Time) bool {
	return !caTrustedSince.IsZero() && !now.Before(p.settledAt(caTrustedSince))
}

// settledAt is when the API server has picked up a caBundle written at
// caTrustedSince. It is measured from the caBundle, not from the CA's issue
// time: a replica may write the CA to the Secret and fail to update the
// caBundle, which another replica then does much later.
func (p policy) settledAt(caTrustedSince time.Time) time.Time {
	return caTrustedSince.Add(p.propagation)
}

func (p policy) coversHosts(c *x509.Certificate) bool {
	var have []string
	have = append(have, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		have = append(have, ip.String())
	}
	want := make([]string, 0, len(p.hosts))
	for _, h := range p.hosts {
		if ip := net.ParseIP(h); ip != nil {
			h = ip.String()
		}
		want = append(want, h)
	}
	slices.Sort(have)
	slices.Sort(want)
	return slices.Equal(have, want)
}

func (p policy) validate() error {
	if len(p.hosts) == 0 {
		return fmt.Errorf("no host names for the serving certificate")
	}
	if p.caValidity <= 0 || p.certValidity <= 0 {
		return fmt.Errorf("certificate validity must be positive (CA %s, serving %s)", p.caValidity, p.certValidity)
	}
	return nil
}

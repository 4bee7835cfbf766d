package selftls

import (
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"time"
)

// policy decides, from what the Secret holds and the time, what it should
// hold. It is a pure function of its inputs, so every replica that reads the
// same Secret at the same time wants the same thing and none undoes another.
type policy struct {
	caName       string
	hosts        []string
	caValidity   time.Duration
	certValidity time.Duration
	propagation  time.Duration
}

// next returns the wanted state and why it differs from cur (no reasons: keep
// cur). webhookTrustsCA says whether the webhook configuration already trusts
// cur's CA; only then may that CA's certificate be served.
func (p policy) next(cur state, now time.Time, webhookTrustsCA bool) (state, []string, error) {
	next, reasons := cur, []string(nil)
	if cur.ca == nil || !now.Before(renewAt(cur.ca.cert)) {
		ca, err := newCA(p.caName, now, p.caValidity)
		if err != nil {
			return cur, nil, err
		}
		next.ca = ca
		reasons = append(reasons, caReason(cur.ca))
	}
	next.trusted = p.trust(next.ca, cur.trusted, now)
	if !slices.EqualFunc(next.trusted, cur.trusted, (*x509.Certificate).Equal) {
		reasons = append(reasons, "trust bundle changed")
	}
	why := p.servingReason(next, now, webhookTrustsCA && next.ca == cur.ca)
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

// trust keeps every CA that a served certificate may still chain to: the
// current one, and older ones until they expire, so that replicas still
// serving an older certificate keep passing the API server's handshake.
func (p policy) trust(ca *keyPair, old []*x509.Certificate, now time.Time) []*x509.Certificate {
	out := []*x509.Certificate{ca.cert}
	for _, c := range old {
		if now.Before(c.NotAfter) && !containsCert(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// servingReason says why a new serving certificate is needed, or "". A
// certificate from a CA the API server may not trust yet is made only when
// the old one is unusable.
func (p policy) servingReason(s state, now time.Time, caTrusted bool) string {
	switch {
	case s.serving == nil:
		return "no serving certificate yet"
	case !now.Before(s.serving.cert.NotAfter):
		return "serving certificate expired"
	case !p.coversHosts(s.serving.cert):
		return "serving certificate names other hosts"
	}
	if !caTrusted || now.Before(p.settledAt(s.ca)) {
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

// settledAt is when a new CA has been in the webhook configuration long
// enough for the API server to have picked it up.
func (p policy) settledAt(ca *keyPair) time.Time {
	return issuedAt(ca.cert).Add(p.propagation)
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

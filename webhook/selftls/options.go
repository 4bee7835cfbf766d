// Package selftls gives the webhook its serving certificate when no
// cert-manager is installed: it creates a CA and a serving certificate, keeps
// them in a Secret that every replica shares, rotates them before they expire,
// keeps the caBundle of kvenv's MutatingWebhookConfiguration current and writes
// the serving certificate where the webhook server reloads it from.
package selftls

import (
	"errors"
	"flag"
	"strings"
	"time"
)

// Options configure the self-managed certificates.
type Options struct {
	SecretName        string   // Secret that holds the CA and the serving certificate
	SecretNamespace   string   // the webhook's own namespace
	WebhookConfigName string   // MutatingWebhookConfiguration whose caBundle is kept current; "" for none
	Hosts             []string // DNS names and IP addresses the serving certificate is valid for
	CertDir           string   // where tls.crt and tls.key are written for the webhook server

	CAValidity    time.Duration // life of a CA; renewed at two thirds
	CertValidity  time.Duration // life of a serving certificate; renewed at two thirds
	CheckInterval time.Duration // how often the Secret is re-read, to follow a peer's rotation
	// Propagation is how long a new CA sits in the caBundle before it signs
	// the served certificate, so the API server trusts it before it sees it.
	// It is measured from when the caBundle was first seen trusting the CA.
	Propagation time.Duration
	// Handover is how long another issuer's CAs (cert-manager's, after a
	// switch to self-managed TLS) stay in the caBundle once a certificate from
	// kvenv's CA is served, for replicas that still serve the old one.
	Handover time.Duration

	Now func() time.Time // nil means time.Now; tests move the clock
}

// DefaultOptions are the production durations.
func DefaultOptions() Options {
	return Options{
		CAValidity:    10 * 365 * 24 * time.Hour,
		CertValidity:  365 * 24 * time.Hour,
		CheckInterval: time.Minute,
		Propagation:   time.Minute,
		Handover:      time.Hour,
	}
}

// BindFlags binds the options to flags. The names are the chart's contract
// with the binary; tests parse the chart's arguments with this very function.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.SecretName, "tls-secret-name", o.SecretName, "self-managed TLS: Secret that holds the CA and the serving certificate (created if absent)")
	fs.StringVar(&o.SecretNamespace, "tls-secret-namespace", o.SecretNamespace, "self-managed TLS: namespace of that Secret, the webhook's own")
	fs.StringVar(&o.WebhookConfigName, "webhook-config-name", o.WebhookConfigName, "self-managed TLS: MutatingWebhookConfiguration whose caBundle kvenv keeps current")
	fs.Var((*listFlag)(&o.Hosts), "tls-hosts", "self-managed TLS: comma-separated DNS names and IPs of the serving certificate (the Service's names)")
	fs.DurationVar(&o.CAValidity, "tls-ca-validity", o.CAValidity, "self-managed TLS: life of the CA (renewed at two thirds)")
	fs.DurationVar(&o.CertValidity, "tls-cert-validity", o.CertValidity, "self-managed TLS: life of the serving certificate (renewed at two thirds)")
	fs.DurationVar(&o.CheckInterval, "tls-check-interval", o.CheckInterval, "self-managed TLS: how often the Secret is re-read to follow another replica's rotation")
}

func (o Options) validate() error {
	var problems []string
	for _, f := range []struct{ flag, value string }{
		{"--tls-secret-name", o.SecretName}, {"--tls-secret-namespace", o.SecretNamespace}, {"--cert-dir", o.CertDir},
	} {
		if f.value == "" {
			problems = append(problems, f.flag+" is required")
		}
	}
	if o.CheckInterval <= 0 {
		problems = append(problems, "--tls-check-interval must be positive")
	}
	if len(problems) > 0 {
		return errors.New("self-managed TLS: " + strings.Join(problems, "; "))
	}
	return nil
}

// listFlag is a comma-separated flag value.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = nil
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

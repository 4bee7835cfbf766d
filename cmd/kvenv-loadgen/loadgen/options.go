// Package loadgen sends pod AdmissionReviews to a kvenv webhook over HTTPS
// and measures what a kube-apiserver would see: throughput and latency
// percentiles, with queueing included when the offered rate is fixed.
package loadgen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Defaults, chosen to look like a kube-apiserver calling a webhook.
const (
	// DefaultConnections: the API server keeps a handful of HTTP/1.1
	// keep-alive connections per webhook; 4 is what it settles on.
	DefaultConnections = 4
	// DefaultTimeout is the webhook timeout the chart sets (10s): a request
	// older than that, counted from when the generator handed it out, has
	// already failed from the API server's point of view.
	DefaultTimeout = 10 * time.Second
	// MaxRequests bounds the memory of one run (one latency per request).
	MaxRequests = 10_000_000
)

// Expectations: what counts as a successful answer.
const (
	ExpectPatch   = "patch"   // allowed, with a JSON patch, for this request's uid
	ExpectAllowed = "allowed" // allowed, for this request's uid
	ExpectOK      = "ok"      // any HTTP 200 (a do-nothing endpoint: the harness ceiling)
)

// Options describe one run. Requests and Duration both bound it: whichever
// is reached first ends it.
type Options struct {
	Target      string // https://127.0.0.1:PORT/mutate-v1-pod
	AllowRemote bool   // permit a target that is not a loopback address
	Connections int
	// Rate is the offered rate in requests per second, sent on schedule
	// whatever the answers' pace (open loop). Zero means saturation: each
	// connection sends its next request as soon as the last is answered.
	Rate     float64
	Requests int
	Duration time.Duration
	Timeout  time.Duration // per request, from when it is handed out; DefaultTimeout when zero
	TLS      *tls.Config   // trust and server name; nil means the system roots
	Expect   string        // ExpectPatch when empty
	Pod      PodShape
}

func (o Options) withDefaults() (Options, error) {
	if o.Connections == 0 {
		o.Connections = DefaultConnections
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Expect == "" {
		o.Expect = ExpectPatch
	}
	o.Pod = o.Pod.withDefaults()
	return o, o.validate()
}

func (o Options) validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if err := CheckTarget(o.Target, o.AllowRemote); err != nil {
		errs = append(errs, err)
	}
	if o.Connections < 1 {
		add("connections %d: want at least 1", o.Connections)
	}
	if o.Rate < 0 {
		add("rate %g: want requests per second, or 0 for saturation", o.Rate)
	}
	if o.Requests < 1 || o.Requests > MaxRequests {
		add("requests %d: want between 1 and %d", o.Requests, MaxRequests)
	}
	if o.Duration <= 0 {
		add("duration %s: want a positive bound such as 30s", o.Duration)
	}
	if o.Timeout < 0 {
		add("timeout %s: want a positive duration", o.Timeout)
	}
	switch o.Expect {
	case ExpectPatch, ExpectAllowed, ExpectOK:
	default:
		add("expect %q: want %s, %s or %s", o.Expect, ExpectPatch, ExpectAllowed, ExpectOK)
	}
	if err := o.Pod.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// CheckTarget accepts an https URL whose host is a loopback address (or
// "localhost"), and any https URL when allowRemote is set. A load test
// aimed at a shared cluster's webhook by mistake slows every pod creation
// in it; a port-forward (kubectl port-forward) reaches the webhook on
// loopback and needs no --allow-remote.
func CheckTarget(target string, allowRemote bool) error {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("target %q: want an https:// URL such as https://127.0.0.1:9443/mutate-v1-pod", target)
	}
	if allowRemote || isLoopbackHost(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("target %q is not a loopback address: load tests are kept to this machine unless --allow-remote is given (use kubectl port-forward and a 127.0.0.1 target to reach a cluster's webhook)", target)
}

// isLoopbackHost judges the name as written, without a DNS look-up;
// the dialer checks the address actually dialled as well.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackOnly is a dialer Control that refuses any address but loopback,
// so "localhost" resolving elsewhere cannot send load off the machine.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to dial %s: not a loopback address (see --allow-remote)", address)
	}
	return nil
}

func (o Options) dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: o.Timeout}
	if !o.AllowRemote {
		d.Control = loopbackOnly
	}
	return d.DialContext
}

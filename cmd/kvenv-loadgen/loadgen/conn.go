package loadgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// sender sends request number n and says how it went: "" on success, else
// a failure kind. Tests replace it to drive the loops with a fake clock.
type sender interface {
	send(ctx context.Context, n uint64, timeout time.Duration) (kind string, err error)
}

// conn is one HTTP/1.1 keep-alive connection, as the API server holds to
// a webhook: a transport allowed exactly one connection, used by one
// goroutine at a time.
type conn struct {
	client *http.Client
	target string
	expect string
	review review
	body   []byte       // this connection's copy, uid rewritten per request
	answer bytes.Buffer // reused for every response body
}

func newConn(o Options, rv review) *conn {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLS != nil {
		tlsConfig = o.TLS.Clone()
	}
	tlsConfig.NextProtos = []string{"http/1.1"}
	transport := &http.Transport{
		DialContext:         o.dialer(),
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: o.Timeout,
		// An empty map turns HTTP/2 off: the API server speaks HTTP/1.1
		// to webhooks unless told otherwise.
		TLSNextProto:       map[string]func(string, *tls.Conn) http.RoundTripper{},
		MaxConnsPerHost:    1,
		MaxIdleConns:       1,
		DisableCompression: true,
	}
	return &conn{client: &http.Client{Transport: transport}, target: o.Target, expect: o.Expect,
		review: rv, body: rv.copyBody()}
}

func (c *conn) close() { c.client.CloseIdleConnections() }

func (c *conn) send(ctx context.Context, n uint64, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	uid := c.review.setUID(c.body, n)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.target, bytes.NewReader(c.body))
	if err != nil {
		return FailTransport, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return cutOff(ctx), err
		}
		return FailTransport, err
	}
	defer resp.Body.Close()
	c.answer.Reset()
	if _, err := c.answer.ReadFrom(resp.Body); err != nil {
		kind := FailTransport
		if ctx.Err() != nil {
			kind = cutOff(ctx)
		}
		return kind, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return FailStatus, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, c.answer.Bytes())
	}
	return c.judge(uid, c.answer.Bytes())
}

// admissionAnswer holds the fields of an AdmissionReview response that
// say whether the webhook did its job; the patch stays undecoded.
type admissionAnswer struct {
	Response *struct {
		UID     string          `json:"uid"`
		Allowed bool            `json:"allowed"`
		Patch   json.RawMessage `json:"patch"`
		Status  *struct {
			Message string `json:"message"`
		} `json:"status"`
	} `json:"response"`
}

func (c *conn) judge(uid string, body []byte) (string, error) {
	if c.expect == ExpectOK {
		return "", nil
	}
	var a admissionAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return FailBody, fmt.Errorf("decoding the AdmissionReview: %w", err)
	}
	r := a.Response
	switch {
	case r == nil:
		return FailBody, errors.New("the AdmissionReview has no response")
	case r.UID != uid:
		return FailBody, fmt.Errorf("the response uid %q does not match the request's %q", r.UID, uid)
	case !r.Allowed:
		msg := ""
		if r.Status != nil {
			msg = r.Status.Message
		}
		return FailDenied, fmt.Errorf("denied: %.300s", msg)
	case c.expect == ExpectPatch && (len(r.Patch) <= 2 || string(r.Patch) == "null"):
		return FailNoPatch, errors.New("allowed without a patch: is the pod's namespace opted in, and does it carry kvenv.io annotations?")
	}
	return "", nil
}

// warm sends one request, uncounted, so the TLS handshake and the
// webhook's first-request work (cache fills) stay out of the figures, as
// they do for an API server whose connections are long open. A failure
// here ends the run with the reason.
func (c *conn) warm(ctx context.Context, n uint64, timeout time.Duration) error {
	kind, err := c.send(ctx, n, timeout)
	if err != nil {
		return fmt.Errorf("first request to %s failed (%s): %w", c.target, kind, err)
	}
	return nil
}

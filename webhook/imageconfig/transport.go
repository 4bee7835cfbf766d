package imageconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// maxAnswerBytes bounds every successful answer kvenv reads from a registry
// or token server. Manifests, indexes, image configs and tokens take a few
// KiB; 4 MiB is the manifest size the OCI distribution specification asks
// registries to accept, and the limit common registries set. Without a
// bound, a pod naming a registry of its author's makes a replica allocate
// whatever that registry sends: go-containerregistry takes manifests up to
// 100 MiB and configs of any declared size.
const maxAnswerBytes = 4 << 20

// maxAnswerBytesHeld bounds the bytes of successful answers that all
// look-ups read at once. The admission handler looks a pod's containers up
// in parallel and a pod may name dozens of images, each with an answer just
// under maxAnswerBytes: 40 of them held 187 MiB of heap before this bound.
const maxAnswerBytesHeld = 16 << 20

// unheldAnswerBytes of every answer are read without counting against
// maxAnswerBytesHeld (maxLookUpsAtOnce bounds how many such reads there
// are). Real manifests, configs and tokens take a few KiB, so only answers
// far larger than an image needs compete for the shared bound: while a
// pod's registries trickle large answers that hold it, another answer over
// this size is refused (busyError), an ordinary one is read.
const unheldAnswerBytes = 256 << 10

// maxErrorAnswerBytes bounds an error answer. kvenv keeps only its status
// and error codes, which fit in far less; a longer answer is cut short, not
// refused, so that its status still counts (a 401 makes way for the next
// credential).
const maxErrorAnswerBytes = 16 << 10

// newTransport returns the transport for every registry, token and ACR
// exchange request: the system roots plus CABundle, behind httpsOnly, which
// also bounds every answer.
func newTransport(o Options, insecure map[string]bool) (http.RoundTripper, error) {
	inner := o.Transport
	if inner == nil {
		roots, err := rootsWith(o.CABundle)
		if err != nil {
			return nil, err
		}
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		inner = t
	}
	return &httpsOnly{inner: inner, insecure: insecure}, nil
}

func rootsWith(bundle []byte) (*x509.CertPool, error) {
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool() // no system store (scratch image): the bundle alone
	}
	if len(bundle) > 0 && !roots.AppendCertsFromPEM(bundle) {
		return nil, errors.New("imageconfig: CABundle holds no PEM certificate")
	}
	return roots, nil
}

// httpsOnly refuses plain HTTP to hosts not configured insecure. The
// registry client falls back to HTTP by itself for loopback and private
// addresses; kvenv must not send credentials, nor trust an ENTRYPOINT, over
// a connection anyone on the path can read or change, unless told to.
type httpsOnly struct {
	inner    http.RoundTripper
	insecure map[string]bool
	held     answerBudget
}

func (t *httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !t.allowsHTTP(req.URL.Host) {
		if req.Body != nil {
			req.Body.Close() // RoundTrip must close it, even on error
		}
		return nil, fmt.Errorf("plain HTTP to %s refused: it is not configured as an insecure registry", req.URL.Host)
	}
	resp, err := t.inner.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	return t.bounded(req, resp)
}

func (t *httpsOnly) allowsHTTP(host string) bool {
	if t.insecure[host] {
		return true
	}
	h, port, err := net.SplitHostPort(host)
	return err == nil && port == "80" && t.insecure[h]
}

// bounded limits what can be read of resp's body (see maxAnswerBytes and
// maxAnswerBytesHeld); a successful answer that declares itself too large
// is refused unread.
func (t *httpsOnly) bounded(req *http.Request, resp *http.Response) (*http.Response, error) {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		resp.Body = cutBody{Reader: io.LimitReader(resp.Body, maxErrorAnswerBytes), Closer: resp.Body}
		return resp, nil
	}
	if resp.ContentLength > maxAnswerBytes {
		resp.Body.Close()
		return nil, &tooLargeError{what: answerTo(req), declared: resp.ContentLength}
	}
	resp.Body = &cappedBody{ReadCloser: resp.Body, left: maxAnswerBytes, what: answerTo(req), held: &t.held}
	return resp, nil
}

// answerTo names what req asks for, for tooLargeError. kvenv reads no
// blob but image configs.
func answerTo(req *http.Request) string {
	what := "answer"
	switch {
	case strings.Contains(req.URL.Path, "/manifests/"):
		what = "manifest"
	case strings.Contains(req.URL.Path, "/blobs/"):
		what = "image config"
	}
	return fmt.Sprintf("the registry's %s (%s %s)", what, req.Method, shortURL(req.URL, nil))
}

// cutBody ends an error answer at maxErrorAnswerBytes, as if it ended there.
type cutBody struct {
	io.Reader
	io.Closer
}

// cappedBody fails once its answer passes maxAnswerBytes, instead of
// reading on, and counts what it read in held until it is closed.
type cappedBody struct {
	io.ReadCloser
	left  int64
	what  string // the answer, for errors
	held  *answerBudget
	read  int64 // bytes of the answer read so far
	taken int64 // of them, those counted in held
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, &tooLargeError{what: b.what}
	}
	if int64(len(p)) > b.left+1 { // one byte more than allowed shows the answer is too large
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	if int64(n) > b.left {
		b.left = -1
		return 0, &tooLargeError{what: b.what}
	}
	charge := b.overUnheld(int64(n))
	if !b.held.take(charge) {
		b.left = -1 // the reader gives up; nothing more of this answer is wanted
		return 0, &busyError{what: b.what}
	}
	b.taken += charge
	b.read += int64(n)
	b.left -= int64(n)
	return n, err
}

// overUnheld is how much of the next n bytes lies past the answer's first
// unheldAnswerBytes, which count against no shared bound.
func (b *cappedBody) overUnheld(n int64) int64 {
	free := max(unheldAnswerBytes-b.read, 0)
	return max(n-free, 0)
}

func (b *cappedBody) Close() error {
	b.held.give(b.taken)
	b.taken = 0
	return b.ReadCloser.Close()
}

// answerBudget counts the bytes of successful answers being read, against
// maxAnswerBytesHeld.
type answerBudget struct {
	mu   sync.Mutex
	held int64
}

func (b *answerBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held+n > maxAnswerBytesHeld {
		return false
	}
	b.held += n
	return true
}

func (b *answerBudget) give(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held -= n
}

// busyError: the answers other look-ups are reading already hold
// maxAnswerBytesHeld.
type busyError struct{ what string }

func (e *busyError) Error() string {
	return fmt.Sprintf("%s was not read: kvenv is already reading %d MiB of registry answers for other containers, the most it holds at once",
		e.what, maxAnswerBytesHeld>>20)
}

// tooLargeError: a registry's answer, or a size a manifest declares, is
// over maxAnswerBytes.
type tooLargeError struct {
	what     string
	declared int64 // bytes; 0 when found by reading
}

func (e *tooLargeError) Error() string {
	msg := fmt.Sprintf("%s is larger than %d MiB, the most kvenv reads of a registry's answer", e.what, maxAnswerBytes>>20)
	if e.declared > 0 {
		msg += fmt.Sprintf(" (it declares %d bytes)", e.declared)
	}
	return msg
}

// sentCredentials is the transport of one attempt. It remembers the
// credentials the registry client sent, among them the bearer tokens that
// a token server issued during the attempt, which kvenv never sees
// otherwise: a registry that repeats one in an error must not have it
// repeated in a denial.
type sentCredentials struct {
	inner http.RoundTripper
	mu    sync.Mutex
	sent  []string
}

func (s *sentCredentials) RoundTrip(req *http.Request) (*http.Response, error) {
	if _, cred, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok && cred != "" {
		s.mu.Lock()
		if !slices.Contains(s.sent, cred) {
			s.sent = append(s.sent, cred)
		}
		s.mu.Unlock()
	}
	return s.inner.RoundTrip(req)
}

func (s *sentCredentials) credentials() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

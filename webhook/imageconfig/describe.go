package imageconfig

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Bounds on what a denial repeats of one attempt (see describe).
const (
	maxDetailBytes  = 512 // an error's first line
	maxURLBytes     = 200
	maxCodes        = 3
	maxCodeBytes    = 40
	maxMessageBytes = 120 // per error code
)

// describe words a failed attempt for a denial. The pod chooses the host,
// so the "registry" may be any HTTPS service that kvenv reaches: of its
// answer, a denial repeats the HTTP status and the registry's error codes,
// each with a short message, never the body, which go-containerregistry's
// errors quote. secrets (the attempt's credentials, the tokens issued to
// it) are redacted before anything is cut, so that no part of one remains.
func describe(err error, secrets []string) string {
	var tl *tooLargeError
	var be *busyError
	var te *transport.Error
	switch { // kvenv's own errors without the *url.Error around them, which repeats the URL
	case errors.As(err, &tl):
		err = tl
	case errors.As(err, &be):
		err = be
	case errors.As(err, &te):
		return registryAnswer(te, secrets)
	}
	// Other errors are kvenv's, Go's or go-containerregistry's own words; a
	// few quote an answer after a line break ("no token in bearer response").
	return clean(err.Error(), secrets, maxDetailBytes)
}

// registryAnswer is te's request, status and error codes.
func registryAnswer(te *transport.Error, secrets []string) string {
	var b strings.Builder
	if te.Request != nil {
		fmt.Fprintf(&b, "%s %s: ", te.Request.Method, shortURL(te.Request.URL, secrets))
	}
	fmt.Fprintf(&b, "%d %s", te.StatusCode, http.StatusText(te.StatusCode))
	var codes []string
	for i, d := range te.Errors {
		if i == maxCodes {
			codes = append(codes, fmt.Sprintf("and %d more errors", len(te.Errors)-i))
			break
		}
		code := clean(string(d.Code), secrets, maxCodeBytes)
		if msg := clean(d.Message, secrets, maxMessageBytes); msg != "" {
			code += ": " + msg
		}
		codes = append(codes, code)
	}
	if len(codes) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(codes, "; "))
	}
	return b.String()
}

// shortURL is u without user information or query (a token server's
// query, a redirect's signature), cut to maxURLBytes: a registry chooses
// its token server's URL, and the length of the header that names it.
func shortURL(u *url.URL, secrets []string) string {
	return clean(u.Scheme+"://"+u.Host+u.Path, secrets, maxURLBytes)
}

// clean keeps the first line of s, without secrets or control characters,
// cut to at most max bytes.
func clean(s string, secrets []string, max int) string {
	s, _, _ = strings.Cut(s, "\n")
	s = redact(s, secrets)
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(strings.TrimSpace(s), ":") // what followed the colon was cut
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max] + "…"
}

// Package leakcheck finds secret values in text that must never hold them:
// logs, error messages, command output. Tests call it on everything a
// component printed or returned, so a leak fails the test that caused it.
package leakcheck

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// minLineLen is the shortest line of a multi-line value that is searched on
// its own, and the shortest value searched for inside a larger base64
// payload; shorter ones ("}", "-----", a few base64 characters) would match
// innocent text.
const minLineLen = 8

// Find returns the values that appear in text, raw or in an encoding a careless
// message could carry them in (JSON string, base64, URL query escaping), or
// whose long-enough lines appear on their own. A long-enough value is found
// in base64 also when it is only part of what was encoded, wherever it sits
// (a Secret's data holding "DB_PASSWORD=<value>", for example).
func Find(values []string, text string) []string {
	var leaked []string
	for _, v := range values {
		if v != "" && containsAnyForm(text, v) {
			leaked = append(leaked, v)
		}
	}
	return leaked
}

// Check fails t if any value appears in text. what names the text in the
// failure message (for example "stderr"); the value itself is never printed.
func Check(t testing.TB, what, text string, values ...string) {
	t.Helper()
	if n := len(Find(values, text)); n > 0 {
		t.Errorf("%s leaks %d secret value(s)", what, n)
	}
}

// Redacted stands in the text that Redact returns for each secret value.
const Redacted = "[REDACTED]"

// Redact replaces every occurrence of each value in text, in every form that
// Find sees (raw, JSON-escaped, base64, URL query escaping, inside a larger
// base64 payload, a long-enough line alone), with Redacted: a failure report
// that quotes a log or an object must not become the leak it reports.
// Overlapping occurrences become one Redacted.
func Redact(text string, values ...string) string {
	hidden := make([]bool, len(text))
	anyHidden := false
	for _, v := range values {
		if v == "" {
			continue
		}
		for _, form := range forms(v) {
			if form != "" {
				anyHidden = hideOccurrences(hidden, text, form) || anyHidden
			}
		}
	}
	if !anyHidden {
		return text
	}
	return replaceHidden(text, hidden)
}

// hideOccurrences marks the bytes of every occurrence of form in text,
// overlapping ones included, and says whether there was one.
func hideOccurrences(hidden []bool, text, form string) bool {
	found := false
	for start := 0; start < len(text); start++ {
		i := strings.Index(text[start:], form)
		if i < 0 {
			break
		}
		start += i
		for j := start; j < start+len(form); j++ {
			hidden[j] = true
		}
		found = true
	}
	return found
}

// replaceHidden writes text with each run of marked bytes as one Redacted.
func replaceHidden(text string, hidden []bool) string {
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		if !hidden[i] {
			b.WriteByte(text[i])
			continue
		}
		b.WriteString(Redacted)
		for i+1 < len(text) && hidden[i+1] {
			i++
		}
	}
	return b.String()
}

func containsAnyForm(text, v string) bool {
	for _, form := range forms(v) {
		if strings.Contains(text, form) {
			return true
		}
	}
	return false
}

// formsOf remembers each value's forms: a test scans every run's output for
// every secret and access token so far, thousands of times for the same
// values in a scale test, where working the forms out again each time
// would slow the runs it is checking.
var formsOf sync.Map // value → []string

func forms(v string) []string {
	if f, ok := formsOf.Load(v); ok {
		return f.([]string)
	}
	f := newForms(v)
	formsOf.Store(v, f)
	return f
}

func newForms(v string) []string {
	quoted, _ := json.Marshal(v)
	forms := []string{
		v,
		strings.Trim(string(quoted), `"`),
		base64.StdEncoding.EncodeToString([]byte(v)),
		base64.RawURLEncoding.EncodeToString([]byte(v)),
		url.QueryEscape(v),
	}
	if len(v) >= minLineLen {
		forms = append(forms, embeddedBase64(v)...)
	}
	return append(forms, longLines(v)...)
}

// longLines are the lines of v long enough to search on their own.
func longLines(v string) []string {
	var lines []string
	for _, line := range strings.Split(v, "\n") {
		if line = strings.TrimSpace(line); len(line) >= minLineLen {
			lines = append(lines, line)
		}
	}
	return lines
}

var toURLAlphabet = strings.NewReplacer("+", "-", "/", "_")

// embeddedBase64 returns what v always encodes to in base64 (standard and
// URL alphabets) when it is part of a larger encoded payload: base64 turns
// each 3 bytes into 4 characters, so v encodes differently depending on
// whether it starts 0, 1 or 2 bytes into a 3-byte group. For each of those
// shifts, the characters that also hold bits of the bytes before or after
// v are dropped, leaving the ones v alone decides.
func embeddedBase64(v string) []string {
	var cores []string
	for shift := range 3 {
		shifted := append(make([]byte, shift), v...)
		encoded := base64.RawStdEncoding.EncodeToString(shifted)
		first := (8*shift + 5) / 6  // characters holding any bit of the prefix
		end := 8 * len(shifted) / 6 // characters holding no bit of what follows
		core := encoded[first:end]
		cores = append(cores, core, toURLAlphabet.Replace(core))
	}
	return cores
}

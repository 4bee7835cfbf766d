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

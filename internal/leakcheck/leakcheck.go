// Package leakcheck finds secret values in text that must never hold them:
// logs, error messages, command output. Tests call it on everything a
// component printed or returned, so a leak fails the test that caused it.
package leakcheck

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// minLineLen is the shortest line of a multi-line value that is searched on
// its own; shorter lines ("}", "-----") would match innocent text.
const minLineLen = 8

// Find returns the values that appear in text, raw or in an encoding a careless
// message could carry them in (JSON string, base64, URL query escaping), or
// whose long-enough lines appear on their own.
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
	for _, line := range strings.Split(v, "\n") {
		line = strings.TrimSpace(line)
		if len(line) >= minLineLen && strings.Contains(text, line) {
			return true
		}
	}
	return false
}

func forms(v string) []string {
	quoted, _ := json.Marshal(v)
	return []string{
		v,
		strings.Trim(string(quoted), `"`),
		base64.StdEncoding.EncodeToString([]byte(v)),
		base64.RawURLEncoding.EncodeToString([]byte(v)),
		url.QueryEscape(v),
	}
}

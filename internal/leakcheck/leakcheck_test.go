package leakcheck

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestFindSeesEveryForm(t *testing.T) {
	t.Parallel()
	const password = "ThisIsTest#123"
	const pem = "-----BEGIN KEY-----\nMIIBVwIBADANBgkqhkiG9w0BAQEFAAS\n-----END KEY-----"
	cases := map[string]string{
		"raw":           "error: got ThisIsTest#123 back",
		"json":          `{"value":"-----BEGIN KEY-----\nMIIBVwIBADANBgkqhkiG9w0BAQEFAAS\n-----END KEY-----"}`,
		"base64":        "blob " + base64.StdEncoding.EncodeToString([]byte(password)),
		"query":         "GET /x?v=ThisIsTest%23123",
		"one pem line":  "line MIIBVwIBADANBgkqhkiG9w0BAQEFAAS seen",
		"raw multiline": "x " + pem + " y",
	}
	for name, text := range cases {
		if got := Find([]string{password, pem}, text); len(got) != 1 {
			t.Errorf("%s: Find found %d values, want 1", name, len(got))
		}
	}
}

func TestFindIgnoresCleanText(t *testing.T) {
	t.Parallel()
	// "Q" leaves no base64 character of its own 1 byte into a group: found
	// that way, it would match any text at all.
	values := []string{"ThisIsTest#123", "-----BEGIN KEY-----\nabc\n-----END KEY-----", "", "Q"}
	text := "kvenv: vault=https://v secrets=2 env=PASSWORD,KEY names=pw,key\nkvenv: done"
	if got := Find(values, text); len(got) != 0 {
		t.Errorf("Find reported %d leaks in clean text", len(got))
	}
}

// TestFindSeesAValueInsideALargerBase64Payload: a Secret's or ConfigMap's
// data encodes a whole file, so a value in it starts wherever the file puts
// it, not at a 3-byte boundary, and what follows it changes its last
// characters.
func TestFindSeesAValueInsideALargerBase64Payload(t *testing.T) {
	t.Parallel()
	// Encoded 1 or 2 bytes into a group, this value gives "+" and "/" in
	// standard base64, where the URL alphabet has "-" and "_".
	const password = "Th1s>Is?Test~123"
	encodings := map[string]*base64.Encoding{
		"standard": base64.StdEncoding, "URL": base64.URLEncoding, "raw URL": base64.RawURLEncoding,
	}
	for name, enc := range encodings {
		for offset := range 6 {
			payload := strings.Repeat("x", offset) + password + "\nDB_USER=app\n"
			text := `{"data":{"app.env":"` + enc.EncodeToString([]byte(payload)) + `"}}`
			if got := Find([]string{password}, text); len(got) != 1 {
				t.Errorf("%s base64, value at offset %d: not found", name, offset)
			}
		}
	}
}

func TestFindIgnoresAnUnrelatedBase64Payload(t *testing.T) {
	t.Parallel()
	values := []string{"ThisIsTest#123", "value-s0-fanout", "-----BEGIN KEY-----\nMIIBVwIBADANBgkqhkiG9w0BAQEFAAS\n-----END KEY-----"}
	for offset := range 3 {
		payload := strings.Repeat("x", offset) + "DB_PASSWORD=ThisIsNotTest#123\nvalue-s1-fanout\nkvenv.io/env.KEY: key\n"
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			if got := Find(values, "data: "+enc.EncodeToString([]byte(payload))); len(got) != 0 {
				t.Errorf("offset %d: Find reported %d leaks in an unrelated payload", offset, len(got))
			}
		}
	}
}

// TestRedactRemovesEveryFormFindSees: after Redact, Find sees none of the
// values, whichever encoding carried them, and the text around them stays.
func TestRedactRemovesEveryFormFindSees(t *testing.T) {
	t.Parallel()
	// The e2e database password: a quote and a backslash, which JSON escapes.
	const password = `ThisIsTest#123'"$HOME\x1f2e`
	const pem = "-----BEGIN KEY-----\nMIIBVwIBADANBgkqhkiG9w0BAQEFAAS\n-----END KEY-----"
	quoted, _ := json.Marshal(password)
	cases := map[string]string{
		"raw":               "error: got " + password + " back",
		"json":              `{"message":` + string(quoted) + `}`,
		"json pem":          `{"value":"-----BEGIN KEY-----\nMIIBVwIBADANBgkqhkiG9w0BAQEFAAS\n-----END KEY-----"}`,
		"base64":            "blob " + base64.StdEncoding.EncodeToString([]byte(password)),
		"raw URL base64":    "blob " + base64.RawURLEncoding.EncodeToString([]byte(password)),
		"query":             "GET /x?v=" + url.QueryEscape(password),
		"one pem line":      "line MIIBVwIBADANBgkqhkiG9w0BAQEFAAS seen",
		"raw multiline":     "x " + pem + " y",
		"inside base64":     `{"data":{"app.env":"` + base64.StdEncoding.EncodeToString([]byte("xDB_PASSWORD="+password+"\n")) + `"}}`,
		"twice, overlapped": password + password[:5] + " and " + string(quoted),
	}
	for name, text := range cases {
		if len(Find([]string{password, pem}, text)) == 0 {
			t.Fatalf("%s: Find sees no value before Redact; the case proves nothing", name)
		}
		redacted := Redact(text, password, pem)
		if got := Find([]string{password, pem}, redacted); len(got) != 0 {
			t.Errorf("%s: Find still sees %d value(s) after Redact", name, len(got))
		}
		if !strings.Contains(redacted, Redacted) {
			t.Errorf("%s: Redact left no %s marker", name, Redacted)
		}
	}
	if got := Redact("error: got "+password+" back", password); got != "error: got "+Redacted+" back" {
		t.Errorf("Redact changed the text around the value: %q", got)
	}
}

func TestRedactLeavesCleanTextAlone(t *testing.T) {
	t.Parallel()
	text := "kvenv: vault=https://v secrets=2 env=PASSWORD,KEY names=pw,key\nkvenv: done"
	if got := Redact(text, "ThisIsTest#123", ""); got != text {
		t.Errorf("Redact changed clean text: %q", got)
	}
}

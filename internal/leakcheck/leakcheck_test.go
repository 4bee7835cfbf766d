package leakcheck

import (
	"encoding/base64"
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
	values := []string{"ThisIsTest#123", "-----BEGIN KEY-----\nabc\n-----END KEY-----", ""}
	text := "kvenv: vault=https://v secrets=2 env=PASSWORD,KEY names=pw,key\nkvenv: done"
	if got := Find(values, text); len(got) != 0 {
		t.Errorf("Find reported %d leaks in clean text", len(got))
	}
}

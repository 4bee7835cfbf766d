package manifests

import (
	"strings"
	"testing"
)

// TestFetchTimeoutMustBePositive: kvenv-webhook refuses a fetch timeout
// that is not positive, or too long for a Go duration, and exits at start,
// after the install succeeded; the chart refuses it instead, naming the value.
func TestFetchTimeoutMustBePositive(t *testing.T) {
	cases := []struct{ fetchTimeout, message string }{
		{"2m", ""},
		{"1ns", ""},
		{"1h30m", ""},
		{"0s", "injector.fetchTimeout (0s) must be a positive duration"},
		{"0m0s", "injector.fetchTimeout (0m0s) must be a positive duration"},
		{"0.0h", "injector.fetchTimeout (0.0h) must be a positive duration"},
		{"3000000h", "injector.fetchTimeout (3000000h) must be a positive duration of at most 2562047h"},
	}
	for _, c := range cases {
		t.Run(c.fetchTimeout, func(t *testing.T) {
			set := "injector.fetchTimeout=" + c.fetchTimeout
			_, err := helm(t, templateArgs("kvenv", "kvenv", set)...)
			switch {
			case c.message == "" && err != nil:
				t.Fatalf("helm template --set %s: %v", set, err)
			case c.message != "" && (err == nil || !strings.Contains(err.Error(), c.message)):
				t.Fatalf("helm template --set %s must fail with\n%s\ngot %v", set, c.message, err)
			}
		})
	}
}

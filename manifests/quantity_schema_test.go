package manifests

import (
	"strings"
	"testing"
)

// TestSchemaRejectsNegativeQuantities: a negative request, limit or size
// reached the container spec (the init container's through kvenv-webhook's
// flags), and the API server rejects it in every pod it lands in. A value
// arrives as a number (--set's -1, --set-json's -0.5) or as a string
// (--set's -0.5 or -64Mi, --set-string's -1): each is refused, naming it.
func TestSchemaRejectsNegativeQuantities(t *testing.T) {
	const header = "values don't meet the specifications of the schema(s) in the following chart(s):\nkvenv:\n"
	cases := []struct{ set, message string }{
		{"injector.resources.requests.cpu=-1", "- at '/injector/resources/requests/cpu': minimum: got -1, want 0"},
		{"--set-string=injector.resources.requests.cpu=-1", "- at '/injector/resources/requests/cpu': '-1' does not match pattern"},
		{"injector.resources.limits.memory=-64Mi", "- at '/injector/resources/limits/memory': '-64Mi' does not match pattern"},
		{"injector.volumeSizeLimit=-8Mi", "- at '/injector/volumeSizeLimit': '-8Mi' does not match pattern"},
		{"--set-json=resources.requests.cpu=-0.5", "- at '/resources/requests/cpu': minimum: got -0.5, want 0"},
	}
	for _, c := range cases {
		t.Run(c.set, func(t *testing.T) {
			_, err := helm(t, templateArgs("kvenv", "kvenv", c.set)...)
			if err == nil {
				t.Fatalf("helm template --set %s succeeded; the schema must reject it", c.set)
			}
			if msg := err.Error(); !strings.Contains(msg, header+c.message) {
				t.Fatalf("helm's error\n%s\nlacks\n%s%s", msg, header, c.message)
			}
		})
	}
	for _, set := range []string{"injector.resources.requests.cpu=0", "injector.resources.requests.cpu=+5m", "injector.resources.limits.memory=1e3", "resources.requests.cpu=0.5"} {
		if _, err := helm(t, templateArgs("kvenv", "kvenv", set)...); err != nil {
			t.Errorf("helm template --set %s: %v", set, err)
		}
	}
}

package manifests

import (
	"strings"
	"testing"
)

// TestSchemaRejectsBadValues: a typo or a wrong type fails the install with
// a message that points at the value, instead of being ignored. A negative
// request, limit or size would reach the container spec (the init
// container's through kvenv-webhook's flags), and the API server would
// reject every pod it lands in: it is refused whether it arrives as a
// number (--set's -1, --set-json's -0.5) or a string (--set's -64Mi,
// --set-string's -1), while zero, a sign and an exponent stay accepted
// (TestSchemaAcceptsQuantities).
func TestSchemaRejectsBadValues(t *testing.T) {
	const header = "values don't meet the specifications of the schema(s) in the following chart(s):\nkvenv:\n"
	cases := []struct{ set, message string }{
		{"colour=blue", "- at '': additional properties 'colour' not allowed"},
		{"webhook.failurePolicyy=Fail", "- at '/webhook': additional properties 'failurePolicyy' not allowed"},
		{"tls.selfManaged.caValdity=1h", "- at '/tls/selfManaged': additional properties 'caValdity' not allowed"},
		{"webhook.timeoutSeconds=ten", "- at '/webhook/timeoutSeconds': got string, want integer"},
		{"webhook.matchConditions=yes", "- at '/webhook/matchConditions': got string, want boolean"},
		{"replicaCount=two", "- at '/replicaCount': got string, want integer"},
		{"webhook.failurePolicy=Never", "- at '/webhook/failurePolicy': value must be one of 'Fail', 'Ignore'"},
		{"tls.minVersion=1.1", "- at '/tls/minVersion': value must be one of '1.2', '1.3'"},
		{"image.digest=latest", "- at '/image/digest': 'latest' does not match pattern"},
		{"podDisruptionBudget.minAvailable=-1", "- at '/podDisruptionBudget/minAvailable': minimum: got -1, want 0"},
		{"podDisruptionBudget.minAvailable=half", "- at '/podDisruptionBudget/minAvailable': 'half' does not match pattern"},
		{"injector.resources.requests.cpu=-1", "- at '/injector/resources/requests/cpu': minimum: got -1, want 0"},
		{"--set-string=injector.resources.requests.cpu=-1", "- at '/injector/resources/requests/cpu': '-1' does not match pattern"},
		{"injector.resources.limits.memory=-64Mi", "- at '/injector/resources/limits/memory': '-64Mi' does not match pattern"},
		{"injector.volumeSizeLimit=-8Mi", "- at '/injector/volumeSizeLimit': '-8Mi' does not match pattern"},
		{"--set-json=resources.requests.cpu=-0.5", "- at '/resources/requests/cpu': minimum: got -0.5, want 0"},
		// Suffixes are case-sensitive and a number has one point: kvenv-webhook
		// cannot parse these and would exit at start, after the install succeeded.
		{"injector.resources.requests.memory=16mi", "- at '/injector/resources/requests/memory': '16mi' does not match pattern"},
		{"injector.volumeSizeLimit=8ki", "- at '/injector/volumeSizeLimit': '8ki' does not match pattern"},
		{"injector.resources.limits.cpu=1.2.3", "- at '/injector/resources/limits/cpu': '1.2.3' does not match pattern"},
		{"injector.resources.limits.memory=1.5.5Gi", "- at '/injector/resources/limits/memory': '1.5.5Gi' does not match pattern"},
		{"injector.resources.requests.cpu=Mi", "- at '/injector/resources/requests/cpu': 'Mi' does not match pattern"},
		{"--set-string=injector.resources.requests.cpu=.", "- at '/injector/resources/requests/cpu': '.' does not match pattern"},
		{"--set-string=injector.fetchTimeout=2", "- at '/injector/fetchTimeout': '2' does not match pattern"},
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
}

func TestSchemaAcceptsQuantities(t *testing.T) {
	for _, set := range []string{
		"injector.resources.requests.cpu=0", "injector.resources.requests.cpu=10m", "injector.resources.requests.cpu=+5m",
		"injector.resources.limits.memory=1e3", "resources.requests.cpu=0.5", "--set-string=injector.resources.requests.cpu=1.5",
		"--set-string=injector.resources.requests.cpu=.5", "injector.resources.requests.memory=16Mi", "injector.volumeSizeLimit=8Ki",
		"injector.resources.limits.memory=1E3", "injector.resources.limits.memory=1Ei", "injector.resources.limits.cpu=1.",
	} {
		if _, err := helm(t, templateArgs("kvenv", "kvenv", set)...); err != nil {
			t.Errorf("helm template --set %s: %v", set, err)
		}
	}
}

package manifests

import (
	"strings"
	"testing"
)

// TestSchemaRejectsBadValues: a typo or a wrong type fails the install with
// a message that points at the value, instead of being ignored.
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

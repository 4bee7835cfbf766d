package webhook_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestEachAdmissionIsLoggedAtDebugLevel: with V(1) enabled, an admission
// leaves one line naming its namespace, pod and result (docs/security.md
// says what that line holds), and leakHandler's scans have lines to scan.
func TestEachAdmissionIsLoggedAtDebugLevel(t *testing.T) {
	logs := &capturedLogs{}
	h := leakHandler(logs, prometheus.NewRegistry())
	pod := podWith(nil)
	pod.Name = "web-1"
	admit(t, h, pod)
	got := logs.b.String()
	if strings.Count(got, "admission ") != 1 || !strings.Contains(got, "web-1") || !strings.Contains(got, "injected") {
		t.Fatalf("want one admission line naming pod web-1 and its result; logged:\n%s", got)
	}
}

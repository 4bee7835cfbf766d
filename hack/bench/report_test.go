package bench

import (
	"strings"
	"testing"

	"github.com/kvenv/kvenv/cmd/kvenv-loadgen/loadgen"
)

// A server far behind the offered rate: most requests are dropped after
// queuing past the timeout, and failures outnumber the requests sent.
func TestFailuresAreCountedAgainstEveryRequestHandedOut(t *testing.T) {
	r := loadgen.Report{Sent: 3000, Dropped: 12000, OK: 2900,
		Failures: map[string]int{loadgen.FailTimeout: 12100}, FirstError: "timeout: still queued"}
	got := failureSummary(r)
	if !strings.HasPrefix(got, "12100 of 15000 requests failed (3000 sent, 12000 dropped unsent)") {
		t.Errorf("summary %q, want 12100 of the 15000 handed out", got)
	}
}

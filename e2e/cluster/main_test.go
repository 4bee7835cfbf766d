package cluster

import "testing"

// TestMain runs the tests in a private network namespace (see RunInNetns).
func TestMain(m *testing.M) { RunInNetns(m) }

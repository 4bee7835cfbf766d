package scenario

import (
	"testing"

	"github.com/kvenv/kvenv/e2e/cluster"
)

// TestMain builds kvenv's binaries and the sample app, then runs the tests
// in a private network namespace (see cluster.RunInNetns).
func TestMain(m *testing.M) { cluster.RunInNetns(m, GoBinaries...) }

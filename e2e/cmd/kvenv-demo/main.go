// Command kvenv-demo replays the Key Vault tutorial for a person: it starts
// a real single-node cluster in a private network namespace, sets up
// PostgreSQL, the Azure fakes, kvenv (from its Helm chart) and the sample
// app (package e2e/scenario, the same code the end-to-end test runs),
// sends the tutorial's two curl requests and prints the real answers, then
// keeps the cluster running until Ctrl-C and says how to reach it.
//
//	make demo   # or, as root: go run ./e2e/cmd/kvenv-demo
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kvenv/kvenv/e2e/cluster"
	"github.com/kvenv/kvenv/e2e/scenario"
)

func main() {
	if !cluster.InPrivateNetns() {
		say("building kvenv's three binaries and the sample app (static Go binaries for the images)...")
	}
	os.Exit(cluster.Main(run, scenario.GoBinaries...))
}

// run is the demo inside the private network namespace.
func run() int {
	signals := make(chan os.Signal, 4)
	// Kept registered until the end: a second Ctrl-C must not cut the clean-up short.
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	ready := make(chan *demo, 1)
	failed := make(chan error, 1)
	go func() {
		d, err := setUp()
		if err != nil {
			failed <- err
			return
		}
		ready <- d
	}()
	var d *demo
	select {
	case err := <-failed:
		say("kvenv demo: %v", err)
		return 1
	case <-signals:
		// Setting up cannot be interrupted in an orderly way; the parent
		// process reaps everything of the cluster once this one exits.
		say("\ninterrupted while setting up; cleaning up")
		return 130
	case d = <-ready:
	}
	defer d.tearDown()
	if err := d.tutorial(); err != nil {
		say("kvenv demo: %v", err)
		return 1
	}
	d.explainAccess(os.Getpid())
	<-signals
	say("\nstopping the cluster...")
	return 0
}

func say(format string, args ...any) { fmt.Printf(format+"\n", args...) }

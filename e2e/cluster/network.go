package cluster

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
)

// nodeLink holds the node IP. The kernel lacks the dummy link type; a bridge
// without ports works as well and keeps the address local to the namespace.
const nodeLink = "kvenv0"

// requirePrivateNetns refuses to start in a network namespace that holds
// any link kvenv did not make (the host's, with its real interfaces): the
// cluster's addresses and ports must not exist outside the test.
func requirePrivateNetns() error {
	links, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("kvenv e2e: listing network links: %w", err)
	}
	for _, l := range links {
		if !ownLink(l.Name) {
			return fmt.Errorf("kvenv e2e: refusing to start a cluster in a network namespace with link %q "+
				"(the host's?); start it under cluster.RunInNetns (TestMain) or cluster.Main, or `unshare -n`", l.Name)
		}
	}
	return nil
}

// ownLink: loopback, the node link, the CNI bridge and the pods' veths.
func ownLink(name string) bool {
	return name == "lo" || name == nodeLink || name == "cni0" || strings.HasPrefix(name, "veth")
}

// setupNodeNetwork brings loopback up and gives the node its IP. It is
// idempotent, so a second cluster in the same namespace reuses the link.
func setupNodeNetwork(nodeIP string) error {
	if err := ip("link", "set", "lo", "up"); err != nil {
		return err
	}
	if out, err := exec.Command("ip", "-o", "addr", "show", "dev", nodeLink).CombinedOutput(); err == nil {
		if strings.Contains(string(out), " "+nodeIP+"/") {
			return nil
		}
	} else if err := ip("link", "add", nodeLink, "type", "bridge"); err != nil {
		return err
	}
	if err := ip("addr", "add", nodeIP+"/32", "dev", nodeLink); err != nil {
		return err
	}
	return ip("link", "set", nodeLink, "up")
}

func ip(args ...string) error {
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

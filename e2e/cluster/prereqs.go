package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/kvenv/kvenv/e2e/images"
)

// What builds each tool binary, as the Makefile says it.
const (
	buildClusterTools = "`hack/build-tools.sh cluster` (make cluster-tools)"
	buildHelm         = "`hack/build-tools.sh helm` (make tools)"
)

// toolBinaries are what a cluster, the scenario on it and the demo run, from
// the tools cache: the components, and ctr, kubectl and helm, which the
// scenario and the demo call. Checking them all before a cluster starts
// reports a missing one at once, not minutes later.
var toolBinaries = []struct{ name, build string }{
	{"etcd", buildClusterTools}, {"kube-apiserver", buildClusterTools}, {"kubelet", buildClusterTools},
	{"kube-scheduler", buildClusterTools}, {"kube-controller-manager", buildClusterTools},
	{"containerd", buildClusterTools}, {"containerd-shim-runc-v2", buildClusterTools}, {"runc", buildClusterTools},
	{"cni/bridge", buildClusterTools}, {"cni/loopback", buildClusterTools}, {"cni/host-local", buildClusterTools},
	{"ctr", buildClusterTools}, {"kubectl", buildClusterTools}, {"helm", buildHelm},
}

// MissingPrerequisites lists what this machine lacks to run a cluster, each
// with what to do about it; empty means a cluster can start.
func MissingPrerequisites(toolsDir string) []string {
	var missing []string
	for _, tool := range toolBinaries {
		if _, err := os.Stat(filepath.Join(toolsDir, tool.name)); err != nil {
			missing = append(missing, fmt.Sprintf("%s not in %s: run %s", tool.name, toolsDir, tool.build))
		}
	}
	if _, err := exec.LookPath("ip"); err != nil {
		missing = append(missing, "the ip command: install Debian's iproute2 (hack/install-deps.sh)")
	}
	if _, err := os.Stat(images.BusyboxPath); err != nil {
		missing = append(missing, images.BusyboxPath+": install Debian's busybox-static (hack/install-deps.sh)")
	}
	if os.Geteuid() != 0 {
		missing = append(missing, "root: containerd, runc and the kubelet need it")
	}
	if msg := os.Getenv(envNetnsErr); msg != "" {
		missing = append(missing, "a private network namespace: "+msg)
	}
	return missing
}

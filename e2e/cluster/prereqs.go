package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/kvenv/kvenv/e2e/images"
)

// toolBinaries are what `hack/build-tools.sh cluster` builds and a cluster runs.
var toolBinaries = []string{
	"etcd", "kube-apiserver", "kubelet", "kube-scheduler", "kube-controller-manager",
	"containerd", "containerd-shim-runc-v2", "runc",
	"cni/bridge", "cni/loopback", "cni/host-local",
}

// MissingPrerequisites lists what this machine lacks to run a cluster, each
// with what to do about it; empty means a cluster can start.
func MissingPrerequisites(toolsDir string) []string {
	var missing []string
	for _, name := range toolBinaries {
		if _, err := os.Stat(filepath.Join(toolsDir, name)); err != nil {
			missing = append(missing, fmt.Sprintf("%s not in %s: run `hack/build-tools.sh cluster` (make cluster-tools)", name, toolsDir))
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

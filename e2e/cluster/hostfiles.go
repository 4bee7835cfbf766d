package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// hostDirs are the host directories that a cluster's components write to
// whatever their configuration says, shared by every cluster and container
// runtime of the machine: only entries that provably belong to one cluster
// may be removed on its behalf.
type hostDirs struct {
	// containerLogs: the kubelet's link to each container's log, a path it
	// hard-codes; the link points into the cluster's pod log directory.
	containerLogs string
	// shimSockets: each containerd shim's socket, named by the hash of the
	// containerd address, namespace and task ID (containerd hard-codes the
	// directory). A shim that is killed leaves its socket.
	shimSockets string
	// cniResults: libcni's record of each sandbox network it set up, kept
	// until the sandbox's network is torn down; it names the sandbox's
	// network namespace, which lies in the cluster's directory.
	cniResults string
}

// sharedHostDirs are the real ones.
var sharedHostDirs = hostDirs{
	containerLogs: "/var/log/containers",
	shimSockets:   "/run/containerd/s",
	cniResults:    "/var/lib/cni/results",
}

// containerdTaskDir holds, in containerd's state directory, one directory per
// task (namespace/ID), whose name is what a shim's socket is hashed from.
const containerdTaskDir = "io.containerd.runtime.v2.task"

// removeClusterFiles removes what the cluster in dir left in h and returns
// the paths removed. It runs after the cluster's processes are gone and
// before dir is removed: the task directories below dir name the sockets.
func (h hostDirs) removeClusterFiles(dir string) []string {
	found := h.clusterFiles(dir)
	var removed []string
	for _, p := range found {
		if err := os.Remove(p); err == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// clusterFiles lists the entries of h that belong to the cluster in dir.
func (h hostDirs) clusterFiles(dir string) []string {
	results, sandboxes := h.cniResultsOf(dir)
	files := append(h.logLinksInto(dir), results...)
	return append(files, h.shimSocketsOf(dir, sandboxes)...)
}

// logLinksInto lists the links in h.containerLogs that point below dir.
func (h hostDirs) logLinksInto(dir string) []string {
	entries, _ := os.ReadDir(h.containerLogs)
	var links []string
	for _, e := range entries {
		link := filepath.Join(h.containerLogs, e.Name())
		target, err := os.Readlink(link)
		if err != nil {
			continue // not a link: not the kubelet's
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(h.containerLogs, target)
		}
		if isBelow(target, dir) {
			links = append(links, link)
		}
	}
	return links
}

// cniResult is the part of a libcni result file that tells whose it is.
type cniResult struct {
	ContainerID string `json:"containerId"`
	Netns       string `json:"netns"`
}

// cniResultsOf lists the result files in h.cniResults whose network
// namespace lies below dir, and the sandbox IDs they name.
func (h hostDirs) cniResultsOf(dir string) (files, sandboxes []string) {
	entries, _ := os.ReadDir(h.cniResults)
	for _, e := range entries {
		// Only regular files are libcni's, and anything else could hang Stop
		// and the reaping: a FIFO blocks the open, a link to a device reads
		// without end. The entry's type is the link's, not its target's.
		if !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(h.cniResults, e.Name())
		data, err := readCNIResult(path)
		if err != nil {
			continue
		}
		var r cniResult
		if json.Unmarshal(data, &r) != nil || !isBelow(r.Netns, dir) {
			continue
		}
		files = append(files, path)
		if r.ContainerID != "" {
			sandboxes = append(sandboxes, r.ContainerID)
		}
	}
	return files, sandboxes
}

// maxCNIResultBytes bounds what is read of a file in the CNI results
// directory: libcni's results are a few KiB.
const maxCNIResultBytes = 1 << 20

var errNotCNIResult = errors.New("not a CNI result file")

// readCNIResult reads the file at path if it is still a regular file of at
// most maxCNIResultBytes: the entry may have been replaced since it was
// listed, so the open neither follows a link nor waits for a FIFO's writer.
func readCNIResult(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return nil, errNotCNIResult
	}
	data, err := io.ReadAll(io.LimitReader(f, maxCNIResultBytes+1))
	if err == nil && len(data) > maxCNIResultBytes {
		return nil, errNotCNIResult
	}
	return data, err
}

// shimSocketsOf lists the sockets in h.shimSockets of the shims that the
// containerd in dir started: those of every task directory in its state,
// and of the CRI sandboxes. A socket's name is a hash of the containerd
// address, which lies in dir, so it cannot be another cluster's.
func (h hostDirs) shimSocketsOf(dir string, sandboxes []string) []string {
	tasks := map[string]bool{}
	for _, id := range sandboxes {
		tasks[filepath.Join(criNamespace, id)] = true
	}
	namespaces, _ := os.ReadDir(filepath.Join(dir, "containerd", "state", containerdTaskDir))
	for _, ns := range namespaces {
		ids, _ := os.ReadDir(filepath.Join(dir, "containerd", "state", containerdTaskDir, ns.Name()))
		for _, id := range ids {
			tasks[filepath.Join(ns.Name(), id.Name())] = true
		}
	}
	address := containerdSocketIn(dir)
	var sockets []string
	for task := range tasks {
		for _, name := range []string{shimSocketName(address, task, false), shimSocketName(address, task, true)} {
			if p := filepath.Join(h.shimSockets, name); fileExistsNoFollow(p) {
				sockets = append(sockets, p)
			}
		}
	}
	return sockets
}

// criNamespace is the containerd namespace of the kubelet's pods.
const criNamespace = "k8s.io"

// shimSocketName is the name containerd gives the socket of the shim of a
// task ("namespace/id") of the containerd at address: the hex SHA-256 of
// address/namespace/id, with /debug appended for a shim's debug socket.
func shimSocketName(address, task string, debug bool) string {
	p := filepath.Join(address, task)
	if debug {
		p = filepath.Join(p, "debug")
	}
	sum := sha256.Sum256([]byte(p))
	return hex.EncodeToString(sum[:])
}

// isBelow says whether path lies strictly below dir.
func isBelow(path, dir string) bool {
	return path != "" && strings.HasPrefix(filepath.Clean(path), filepath.Clean(dir)+string(filepath.Separator))
}

func fileExistsNoFollow(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

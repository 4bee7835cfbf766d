package cluster

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReapingRemovesOnlyTheClustersHostFiles lays out, in stand-ins for the
// shared host directories, what a stopped cluster leaves there next to what
// another cluster (whose directory name extends this one's) and other
// software leave, reaps the cluster as Stop and the parent do, and checks
// that only the first go.
func TestReapingRemovesOnlyTheClustersHostFiles(t *testing.T) {
	root := t.TempDir()
	host := hostDirs{
		containerLogs: filepath.Join(root, "var/log/containers"),
		shimSockets:   filepath.Join(root, "run/containerd/s"),
		cniResults:    filepath.Join(root, "var/lib/cni/results"),
	}
	defer func(real hostDirs) { sharedHostDirs = real }(sharedHostDirs)
	sharedHostDirs = host
	dir := filepath.Join(root, "work", "cluster-hostfiles-test")
	other := filepath.Join(root, "work", "cluster-hostfiles-test2") // shares dir's name as a prefix
	mine, theirs := layClusterFiles(t, host, dir, "a1"), layClusterFiles(t, host, other, "b2")
	unrelated := []string{
		mkfile(t, filepath.Join(host.containerLogs, "plain-file.log"), "not a link"),
		mkfile(t, filepath.Join(host.cniResults, "not-json"), "{"),
		mkfile(t, filepath.Join(host.shimSockets, shimSocketName("/run/containerd/containerd.sock", "k8s.io/a1", false)), ""),
	}
	mkdir(t, filepath.Join(dir, "containerd/state", containerdTaskDir, "moby", "c3"))
	mine = append(mine, mkfile(t, filepath.Join(host.shimSockets, shimSocketName(containerdSocketIn(dir), "moby/c3", true)), ""))

	reapClusterDir(dir, false, t.Logf)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there after reaping (%v)", dir, err)
	}
	for _, p := range mine {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}
	for _, p := range append(theirs, unrelated...) {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s, not the cluster's, was removed (%v)", p, err)
		}
	}
}

// TestCNIResultsOfSkipsWhatIsNotAResultFile: a FIFO in the CNI results
// directory, or a link there to one, would block the open for ever (hanging
// Stop and the reaping), and a file larger than any CNI result is not one;
// all are skipped, promptly, and the cluster's result is still found. (A link
// to /dev/zero would read without end too, but without the fix would eat the
// machine's memory before the test could fail; a link to a FIFO shows the
// same: links are not followed.)
func TestCNIResultsOfSkipsWhatIsNotAResultFile(t *testing.T) {
	root := t.TempDir()
	host := hostDirs{cniResults: filepath.Join(root, "var/lib/cni/results")}
	dir := filepath.Join(root, "work", "cluster-cni-results-test")
	result := `{"containerId":"a1","netns":"` + filepath.Join(dir, "netns/cni-a1") + `"}`
	want := mkfile(t, filepath.Join(host.cniResults, "kvenv-a1-eth0"), result)
	mkfile(t, filepath.Join(host.cniResults, "kvenv-a2-eth0"), result+strings.Repeat(" ", maxCNIResultBytes))
	mkfile(t, filepath.Join(root, "linked-result"), result)
	mkfifo(t, filepath.Join(host.cniResults, "a-fifo"))
	mkfifo(t, filepath.Join(root, "linked-fifo"))
	for _, target := range []string{"linked-fifo", "linked-result"} {
		if err := os.Symlink(filepath.Join(root, target), filepath.Join(host.cniResults, "link-to-"+target)); err != nil {
			t.Fatal(err)
		}
	}

	var files, sandboxes []string
	returnsPromptly(t, "cniResultsOf", func() { files, sandboxes = host.cniResultsOf(dir) })
	if !slices.Equal(files, []string{want}) || !slices.Equal(sandboxes, []string{"a1"}) {
		t.Errorf("cniResultsOf = %v, sandboxes %v; want only %s, sandbox a1", files, sandboxes, want)
	}
}

// TestReadCNIResultRefusesWhatIsNotARegularFile: an entry listed as a
// regular file may be replaced before it is opened; the open itself neither
// waits on a FIFO nor follows a link.
func TestReadCNIResultRefusesWhatIsNotARegularFile(t *testing.T) {
	root := t.TempDir()
	fifo, link := filepath.Join(root, "fifo"), filepath.Join(root, "link")
	mkfifo(t, fifo)
	if err := os.Symlink(mkfile(t, filepath.Join(root, "result"), "{}"), link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, link} {
		var err error
		returnsPromptly(t, "readCNIResult("+path+")", func() { _, err = readCNIResult(path) })
		if err == nil {
			t.Errorf("readCNIResult(%s) read it; want it refused", path)
		}
	}
}

// returnsPromptly fails the test if f has not returned within a few
// seconds, as it would not if it waited on a FIFO.
func returnsPromptly(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	const bound = 5 * time.Second
	select {
	case <-done:
	case <-time.After(bound):
		t.Fatalf("%s has not returned after %v: it waits on a FIFO", what, bound)
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	mkdir(t, filepath.Dir(path))
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

// layClusterFiles writes what a stopped cluster in dir leaves in host for
// one pod sandbox: a log link, the CNI results of its two networks, and its
// shim's socket (its task directory too, as containerd's state keeps it).
func layClusterFiles(t *testing.T, host hostDirs, dir, sandbox string) []string {
	t.Helper()
	netns := filepath.Join(dir, "containerd/state/io.containerd.grpc.v1.cri/netns/cni-"+sandbox)
	result := `{"kind":"cniCacheV1","containerId":"` + sandbox + `","netns":"` + netns + `"}`
	mkdir(t, filepath.Join(dir, "containerd/state", containerdTaskDir, criNamespace, sandbox))
	mkdir(t, host.containerLogs)
	link := filepath.Join(host.containerLogs, "pod-"+sandbox+"_ns_app-"+sandbox+".log")
	if err := os.Symlink(filepath.Join(dir, "pod-logs/ns_pod/app/0.log"), link); err != nil {
		t.Fatal(err)
	}
	return []string{
		link,
		mkfile(t, filepath.Join(host.cniResults, "kvenv-"+sandbox+"-eth0"), result),
		mkfile(t, filepath.Join(host.cniResults, "cni-loopback-"+sandbox+"-lo"), result),
		mkfile(t, filepath.Join(host.shimSockets, shimSocketName(containerdSocketIn(dir), criNamespace+"/"+sandbox, false)), ""),
	}
}

// TestShimSocketNameIsContainerds checks the name against a socket that
// containerd 2 left for a sandbox of a kvenv cluster.
func TestShimSocketNameIsContainerds(t *testing.T) {
	const dir = "/tmp/kvenv-e2e-2312414100/cluster-3098444806"
	const sandbox = "332cd7108ed6010b7b399c54c468304b8636844ca8f15fe42669d0e09ef4f1de"
	const want = "fb9323c2b65d38760bebf282ef1e09316fe62376b4c77c176c00d49c95036afb"
	if got := shimSocketName(containerdSocketIn(dir), criNamespace+"/"+sandbox, false); got != want {
		t.Errorf("shimSocketName = %s, want %s", got, want)
	}
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mkfile(t *testing.T, path, content string) string {
	t.Helper()
	mkdir(t, filepath.Dir(path))
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestExistingCgroupDirsSeesEveryHierarchy: the stop test's cgroup check
// looks in every hierarchy the cluster creates its cgroup in (v1
// controllers and the unified v2 one alike), so it cannot pass because it
// looked where the cgroup never was.
func TestExistingCgroupDirsSeesEveryHierarchy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating a cgroup needs root")
	}
	mounts, err := cgroupMounts()
	if err != nil || len(mounts) == 0 {
		t.Skipf("no cgroup hierarchy mounted (%v)", err)
	}
	cgroup := "/kvenv-stop-check-" + strconv.Itoa(os.Getpid())
	if err := createCgroup(cgroup); err != nil {
		t.Skipf("cannot create a cgroup here: %v", err)
	}
	defer removeCgroup(cgroup)
	if got := existingCgroupDirs(mounts, cgroup); len(got) != len(mounts) {
		t.Errorf("found %s in %v, want every hierarchy %v", cgroup, got, mounts)
	}
	removeCgroup(cgroup)
	if got := existingCgroupDirs(mounts, cgroup); len(got) != 0 {
		t.Errorf("removed %s, still found in %v", cgroup, got)
	}
}

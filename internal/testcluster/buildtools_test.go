package testcluster

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The tests below run hack/build-tools.sh -n, which says what it would
// build and builds nothing, on a copy of the script and of the tools
// modules' go.mod and go.sum (read here, so Go's test cache sees them).

const repoRoot = "../.."

// toolsTree copies hack/build-tools.sh and the tools modules into a
// temporary tree and returns its hack directory.
func toolsTree(t *testing.T) string {
	t.Helper()
	hack := filepath.Join(t.TempDir(), "hack")
	files := []string{"build-tools.sh"}
	for _, m := range []string{"kube", "etcd"} {
		files = append(files, filepath.Join("tools", m, "go.mod"), filepath.Join("tools", m, "go.sum"), filepath.Join("tools", m, "tools.go"))
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(repoRoot, "hack", f))
		if err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(hack, f)
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dest, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return hack
}

// wouldBuild is one "would build NAME MARK: COMMAND" line of a dry run.
type wouldBuild struct{ mark, command string }

var wouldBuildLine = regexp.MustCompile(`(?m)^kvenv tools: would build (\S+) (\S+): (.*)$`)

// dryRun runs the script with -n against cache and returns what it would build.
func dryRun(t *testing.T, hack, cache string, groups ...string) map[string]wouldBuild {
	t.Helper()
	return dryRunWith(t, hack, cache, nil, groups...)
}

// dryRunWith is dryRun with env added to (and overriding) the environment.
func dryRunWith(t *testing.T, hack, cache string, env []string, groups ...string) map[string]wouldBuild {
	t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join(hack, "build-tools.sh"), "-n"}, groups...)...)
	cmd.Env = append(append(os.Environ(), "KVENV_CACHE="+cache, "CGO_ENABLED=0"), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("build-tools.sh -n %v: %v\n%s", groups, err, stderr.String())
	}
	if got, want := strings.TrimSpace(string(out)), filepath.Join(cache, "bin"); got != want {
		t.Errorf("build-tools.sh printed %q, want its bin directory %s", got, want)
	}
	builds := map[string]wouldBuild{}
	for _, m := range wouldBuildLine.FindAllStringSubmatch(stderr.String(), -1) {
		builds[m[1]] = wouldBuild{mark: m[2], command: m[3]}
	}
	return builds
}

// fillCache puts a stand-in binary and its mark in cache for each build, as
// a real run leaves them.
func fillCache(t *testing.T, cache string, builds map[string]wouldBuild) {
	t.Helper()
	for name, b := range builds {
		bin := filepath.Join(cache, "bin", name)
		mark := filepath.Join(cache, "bin", "."+name+".version")
		for _, dir := range []string{filepath.Dir(bin), filepath.Dir(mark)} {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(mark, []byte(b.mark+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// pinned is the version go.mod requires of module, read from the file.
func pinned(t *testing.T, goMod, module string) string {
	t.Helper()
	data, err := os.ReadFile(goMod)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + regexp.QuoteMeta(module) + `\s+(v\S+)`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("%s requires no %s", goMod, module)
	}
	return string(m[1])
}

func TestBuildToolsBuildsAndStampsWhatGoModPins(t *testing.T) {
	hack := toolsTree(t)
	kube := pinned(t, filepath.Join(hack, "tools", "kube", "go.mod"), "k8s.io/kubernetes")
	etcd := pinned(t, filepath.Join(hack, "tools", "etcd", "go.mod"), "go.etcd.io/etcd/server/v3")
	builds := dryRun(t, hack, t.TempDir(), "apiserver")

	apiserver, ok := builds["kube-apiserver"]
	if !ok || !strings.HasPrefix(apiserver.mark, kube+"+") {
		t.Fatalf("kube-apiserver would be built as %q; want version %s, hack/tools/kube/go.mod's", apiserver.mark, kube)
	}
	minor := strings.SplitN(strings.TrimPrefix(kube, "v1."), ".", 2)[0]
	for _, stamp := range []string{"version.gitVersion=" + kube + " ", "version.gitMinor=" + minor + " "} {
		if !strings.Contains(apiserver.command, stamp) {
			t.Errorf("kube-apiserver's build does not stamp %q: %s", stamp, apiserver.command)
		}
	}
	if b, ok := builds["etcd"]; !ok || !strings.HasPrefix(b.mark, etcd+"+") {
		t.Errorf("etcd would be built as %q; want version %s, hack/tools/etcd/go.mod's", b.mark, etcd)
	}
}

// TestBuildToolsRebuildsOnlyWhatItsInputsChanged: a warm cache builds
// nothing; a change to a tools module's go.mod or go.sum rebuilds what that
// module builds, and nothing else.
func TestBuildToolsRebuildsOnlyWhatItsInputsChanged(t *testing.T) {
	hack, cache := toolsTree(t), t.TempDir()
	fillCache(t, cache, dryRun(t, hack, cache, "apiserver"))
	if builds := dryRun(t, hack, cache, "apiserver"); len(builds) > 0 {
		t.Fatalf("a warm cache would still build %v", slices.Sorted(maps.Keys(builds)))
	}
	changes := []struct{ file, line, rebuilt, kept string }{
		{"tools/kube/go.mod", "// a comment is a change\n", "kube-apiserver", "etcd"},
		{"tools/etcd/go.sum", "example.com/kvenv-test v0.0.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "etcd", "kube-apiserver"},
	}
	for _, c := range changes {
		path := filepath.Join(hack, c.file)
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(before, c.line...), 0o644); err != nil {
			t.Fatal(err)
		}
		builds := dryRun(t, hack, cache, "apiserver")
		if _, ok := builds[c.rebuilt]; !ok {
			t.Errorf("after a change to %s, %s would not be rebuilt", c.file, c.rebuilt)
		}
		if _, ok := builds[c.kept]; ok {
			t.Errorf("after a change to %s, %s would be rebuilt too", c.file, c.kept)
		}
		if err := os.WriteFile(path, before, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBuildToolsRebuildsWhatItsTagsCgoOrGoReleaseChanged: every tool, not
// only those of the tools modules, is keyed by how it is built, so a change
// of a tool's build tags or cgo setting rebuilds it and nothing else (a runc
// left built without seccomp would silently stop applying RuntimeDefault
// profiles), and a new Go release rebuilds everything.
func TestBuildToolsRebuildsWhatItsTagsCgoOrGoReleaseChanged(t *testing.T) {
	hack, cache := toolsTree(t), t.TempDir()
	all := dryRun(t, hack, cache, "cluster", "helm")
	fillCache(t, cache, all)
	if builds := dryRun(t, hack, cache, "cluster", "helm"); len(builds) > 0 {
		t.Fatalf("a warm cache would still build %v", slices.Sorted(maps.Keys(builds)))
	}
	allBut := func(name string) []string {
		return slices.DeleteFunc(slices.Sorted(maps.Keys(all)), func(n string) bool { return n == name })
	}
	script := filepath.Join(hack, "build-tools.sh")
	changes := []struct {
		what        string
		old, new    string // an edit of the script, if any
		env         []string
		wantRebuilt []string
	}{
		{what: "containerd's tags", old: `CONTAINERD_TAGS="no_btrfs no_devmapper no_zfs"`, new: `CONTAINERD_TAGS="no_btrfs no_devmapper"`,
			wantRebuilt: []string{"containerd", "containerd-shim-runc-v2", "ctr"}},
		{what: "runc's tags", old: "RUNC_TAGS=seccomp\n", new: "RUNC_TAGS=\n", wantRebuilt: []string{"runc"}},
		{what: "runc's cgo", old: "RUNC_CGO_ENABLED=1\n", new: "RUNC_CGO_ENABLED=0\n", wantRebuilt: []string{"runc"}},
		{what: "CGO_ENABLED", env: []string{"CGO_ENABLED=1"}, wantRebuilt: allBut("runc")}, // runc always has cgo
		{what: "the Go release", env: goReleasing(t, "go1.99.0"), wantRebuilt: slices.Sorted(maps.Keys(all))},
	}
	for _, c := range changes {
		restore := func() {}
		if c.old != "" {
			restore = replaceIn(t, script, c.old, c.new)
		}
		builds := dryRunWith(t, hack, cache, c.env, "cluster", "helm")
		if got := slices.Sorted(maps.Keys(builds)); !slices.Equal(got, c.wantRebuilt) {
			t.Errorf("after a change of %s, would rebuild %v; want %v", c.what, got, c.wantRebuilt)
		}
		restore()
	}
}

// TestBuildToolsRebuildsWhatAVersionAloneMarks: a mark of the version alone,
// as the cache held before every build was keyed by its inputs, says nothing
// of how the binary was built, so it is rebuilt.
func TestBuildToolsRebuildsWhatAVersionAloneMarks(t *testing.T) {
	hack, cache := toolsTree(t), t.TempDir()
	all := dryRun(t, hack, cache, "cluster", "helm")
	versionsOnly := map[string]wouldBuild{}
	for name, b := range all {
		versionsOnly[name] = wouldBuild{mark: strings.SplitN(b.mark, "+", 2)[0]}
	}
	fillCache(t, cache, versionsOnly)
	if got, want := slices.Sorted(maps.Keys(dryRun(t, hack, cache, "cluster", "helm"))), slices.Sorted(maps.Keys(all)); !slices.Equal(got, want) {
		t.Errorf("with marks of versions alone, would rebuild %v; want %v", got, want)
	}
}

// goReleasing returns the environment under which the script's go reports
// release as its version, and is otherwise the real go.
func goReleasing(t *testing.T, release string) []string {
	t.Helper()
	realGo, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wrapper := "#!/bin/sh\n" +
		`if [ "$*" = "env GOVERSION" ]; then echo ` + release + "; exit; fi\n" +
		`exec "` + realGo + `" "$@"` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH")}
}

// replaceIn replaces old, which must be there once, by new in the file at
// path, and returns what restores it.
func replaceIn(t *testing.T, path, old, new string) (restore func()) {
	t.Helper()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(before), old); n != 1 {
		t.Fatalf("%s holds %q %d times, want once", path, old, n)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(before), old, new, 1)), 0o755); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.WriteFile(path, before, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMissingBinaryNamesTheMakeTargetThatBuildsIt checks missingBinary's
// advice against the groups the Makefile's tools and cluster-tools targets
// pass to the script, and what the script builds for them.
func TestMissingBinaryNamesTheMakeTargetThatBuildsIt(t *testing.T) {
	hack := toolsTree(t)
	for target, advice := range map[string]string{"tools": makeTools, "cluster-tools": makeClusterTools} {
		for name := range dryRun(t, hack, t.TempDir(), makeGroups(t, target)...) {
			if builtByMakeTools[name] && target == "cluster-tools" {
				continue // the cluster group builds the API server's too
			}
			if msg := missingBinary("/cache", name); !strings.Contains(msg, advice) {
				t.Errorf("`make %s` builds %s, but the advice is: %s", target, name, msg)
			}
		}
	}
	if msg := missingBinary("/cache", "kubectl"); !strings.Contains(msg, "make cluster-tools") {
		t.Errorf("kubectl: %s", msg)
	}
}

// makeGroups reads the groups that the Makefile's target passes to
// hack/build-tools.sh.
func makeGroups(t *testing.T, target string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(target) + `:.*\n\thack/build-tools\.sh ([^\n]+)`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("the Makefile's %s target does not run hack/build-tools.sh", target)
	}
	return strings.Fields(string(m[1]))
}

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
	cmd := exec.Command("bash", append([]string{filepath.Join(hack, "build-tools.sh"), "-n"}, groups...)...)
	cmd.Env = append(os.Environ(), "KVENV_CACHE="+cache, "CGO_ENABLED=0")
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

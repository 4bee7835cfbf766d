package scenario

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/e2e/sampleapp/todo"
	"github.com/kvenv/kvenv/internal/layout"
	"github.com/kvenv/kvenv/internal/leakcheck"
)

// controlNeedle is in every injected pod's annotations and in kvenv-init's
// log line, but is no secret: each scan must find it, proving it really
// read the objects, logs and files it claims to have read.
const controlNeedle = "SPRING_DATASOURCE_PASSWORD"

// matcher returns the names of the needles a text holds.
type matcher func(text string) []string

// needles looks for the three values (in every form leakcheck knows) and
// the control. Values are reported by name only.
func needles(s *Scenario) matcher {
	c := s.Credentials()
	return needlesFor(map[string]string{"URL value": c.URL, "username value": c.Username, "password value": c.Password})
}

// needlesFor matches each named value, and the control.
func needlesFor(values map[string]string) matcher {
	return func(text string) []string {
		var found []string
		for name, v := range values {
			if len(leakcheck.Find([]string{v}, text)) > 0 {
				found = append(found, name)
			}
		}
		if strings.Contains(text, controlNeedle) {
			found = append(found, controlNeedle)
		}
		sort.Strings(found)
		return found
	}
}

// scanResult maps each source read (a key, an object list, a log, a file)
// to the needles found in it; sources with none are counted only.
type scanResult struct {
	read  int
	found map[string][]string
}

func matchTexts(texts map[string]string, match matcher) scanResult {
	r := scanResult{read: len(texts), found: map[string][]string{}}
	for source, text := range texts {
		if n := match(text); len(n) > 0 {
			r.found[source] = n
		}
	}
	return r
}

// leakSource reads one place values must never reach.
type leakSource struct {
	name string
	scan func(t *testing.T, s *Scenario, match matcher) scanResult
}

// leakSources: etcd (every key and value), every object of every API
// resource type (events included), every container log (previous ones
// too), and every file of the harness directory outside memory mounts.
var leakSources = []leakSource{
	{"etcd", scanEtcd},
	{"every API object and event", scanAPI},
	{"every container log", scanLogs},
	{"disk", scanDisk},
}

// testNothingLeaked: no value anywhere in the cluster's state, in any
// object, event or log, nor on disk; yet each value is in the pod's memory
// volume, where the same scanner finds it.
func testNothingLeaked(t *testing.T, s *Scenario, pod *corev1.Pod) {
	match := needles(s)
	for _, src := range leakSources {
		t.Run(src.name, func(t *testing.T) {
			r := src.scan(t, s, match)
			control := 0
			for source, names := range r.found {
				for _, n := range names {
					if n == controlNeedle {
						control++
					} else {
						t.Errorf("LEAK: %s: %s holds the %s", src.name, source, n)
					}
				}
			}
			if control == 0 {
				t.Errorf("%s: none of %d sources read holds %q: the scan did not read what it claims", src.name, r.read, controlNeedle)
			}
			t.Logf("%s: read %d sources, %d hold the control", src.name, r.read, control)
		})
	}
	t.Run("memory volume holds every value", func(t *testing.T) { testMemoryVolume(t, s, pod, match) })
}

func scanEtcd(t *testing.T, _ *Scenario, match matcher) scanResult {
	kvs, err := readEtcd()
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{}
	for _, kv := range kvs {
		texts["key "+string(kv.Key)] = string(kv.Key) + "\n" + string(kv.Value)
	}
	return matchTexts(texts, match)
}

func scanAPI(t *testing.T, s *Scenario, match matcher) scanResult {
	texts, err := s.apiObjects(apiCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := texts["/v1, Resource=events"]; !ok {
		t.Errorf("events were not among the %d resource types read", len(texts))
	}
	return matchTexts(texts, match)
}

func scanLogs(t *testing.T, s *Scenario, match matcher) scanResult {
	texts, err := s.containerLogs(apiCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return matchTexts(texts, match)
}

// scanDisk reads the whole harness directory: the kubelet root, the
// containerd root and state, etcd's data, every component and pod log,
// helm's state. Only memory-backed mounts are skipped.
func scanDisk(t *testing.T, s *Scenario, match matcher) scanResult {
	root := filepath.Dir(s.Cluster.Dir)
	scan, err := scanTree(root, true, match)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("disk below %s: %s: %v", root, scan, scan.skipped)
	r := scanResult{read: scan.files, found: map[string][]string{}}
	for needle, files := range scan.found {
		for _, f := range files {
			r.found[f] = append(r.found[f], needle)
		}
	}
	return r
}

// testMemoryVolume is the positive control: the pod's memory volume, read
// on the host through the kubelet's tmpfs mount, holds each value byte for
// byte, the scanner finds all three there, and it is one of the mounts the
// disk scan skips.
func testMemoryVolume(t *testing.T, s *Scenario, pod *corev1.Pod, match matcher) {
	dir := filepath.Join(s.Cluster.Dir, "kubelet", "pods", string(pod.UID), "volumes", "kubernetes.io~empty-dir", layout.VolumeName)
	c := s.Credentials()
	for env, want := range map[string]string{todo.EnvURL: c.URL, todo.EnvUsername: c.Username, todo.EnvPassword: c.Password} {
		got, err := os.ReadFile(filepath.Join(dir, "env", env))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s in the memory volume differs from the vault's value (%d bytes, want %d)", env, len(got), len(want))
		}
	}
	scan, err := scanTree(dir, false, match)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"URL value", "username value", "password value"} {
		if len(scan.found[n]) == 0 {
			t.Errorf("the scanner does not find the %s in the memory volume %s", n, dir)
		}
	}
	memory, err := tmpfsMounts()
	if err != nil || !memory[dir] {
		t.Errorf("the memory volume %s is not a tmpfs mount (error %v): the values would be on disk", dir, err)
	}
}

package webhook

import (
	"bytes"
	"reflect"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/internal/layout"
	"github.com/kvenv/kvenv/internal/secretref"
)

// FuzzParseAnnotations: any annotation key and value is either accepted as a
// reference that the init container will parse back identically, or denied
// with a *Denial; never a panic.
func FuzzParseAnnotations(f *testing.F) {
	for _, seed := range [][2]string{
		{"kvenv.io/env.DB_PASSWORD", "DbPassword"},
		{"kvenv.io/env.X", "Name/0123456789abcdef0123456789abcdef"},
		{"kvenv.io/env.X", "https://other.vault.azure.net/secrets/Name"},
		{"kvenv.io/env.X", "https://u:p@other.vault.azure.net/secrets/Name?x#y"},
		{"kvenv.io/env.X", "https://[::1]:8443/secrets/Name"},
		{"kvenv.io/env.X", "http://%zz"},
		{"kvenv.io/evn.X", "a"},
		{"kvenv.io/vault", "https://myvault.vault.azure.net/"},
		{"kvenv.io/vault", "my--vault"},
		{"kvenv.io/containers", ",app,,"},
		{"kvenv.io/client-id", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"},
		{"kvenv.io/inject", "true"},
		{"kvenv.io/status", "injected"},
		{"kvenv.io/env.é", "\u2010"},
		{"kvenv.io/", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	cfg := testConfig()
	f.Fuzz(func(t *testing.T, key, value string) {
		annotations := map[string]string{AnnotationVault: "myvault", AnnotationEnvPrefix + "BASE": "Base", key: value}
		var probs problems
		req := parseRequest(annotations, namespaceFacts{name: "ns"}, cfg, &probs)
		if len(probs) > 0 {
			if msg := probs.err().Error(); !strings.HasPrefix(msg, "kvenv") {
				t.Fatalf("denial without kvenv prefix: %q", msg)
			}
			return
		}
		if !sort.SliceIsSorted(req.refs, func(i, j int) bool { return req.refs[i].Env < req.refs[j].Env }) {
			t.Fatalf("references not sorted: %+v", req.refs)
		}
		for _, r := range req.refs {
			back, err := secretref.Parse(r.String())
			if err != nil || back != r {
				t.Fatalf("accepted reference %q does not parse back (%+v, %v)", r.String(), back, err)
			}
		}
	})
}

// FuzzMutate: for any command, args, security context and extra annotation,
// Mutate either denies without touching the pod, or produces a pod that it
// leaves unchanged when run again, with the original argv behind the wrapper.
func FuzzMutate(f *testing.F) {
	f.Add("/app\n--serve", "", "kvenv.io/client-id", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", int64(1000), true)
	f.Add("", "--flag\n$(DB_PASSWORD)", "kvenv.io/containers", "app", int64(0), false)
	f.Add("", "", "kvenv.io/env.OTHER", "https://other.vault.azure.net/secrets/O", int64(-1), true)
	f.Add(layout.ExecPath+"\n--\n/app", "x", "kvenv.io/status", "injected", int64(7), false)
	f.Add("sh\n-c\nexec app", "", "kvenv.io/inject", "false", int64(65532), true)
	f.Add("/app", "", "kvenv.io/containers", "app,init", int64(3), true)
	cfg := testConfig()
	f.Fuzz(func(t *testing.T, command, args, key, value string, uid int64, fsGroup bool) {
		pod := fuzzPod(command, args, key, value, uid, fsGroup)
		in := Inputs{Images: map[string]ImageCommand{"app": {Entrypoint: []string{"/entry"}, Cmd: []string{"cmd"}}}}
		original := pod.DeepCopy()
		before := mustJSON(t, pod)
		checkPatchCarriesChanges(t, "fuzzed", pod.DeepCopy(), in, cfg)
		checkWritesNothingShared(t, "fuzzed", pod.DeepCopy(), in, cfg)
		_, err := Mutate(pod, in, cfg)
		if err != nil {
			if _, ok := err.(*Denial); !ok {
				t.Fatalf("error is not a *Denial: %v", err)
			}
			if !bytes.Equal(before, mustJSON(t, pod)) {
				t.Fatal("a denied pod was modified")
			}
			return
		}
		once := mustJSON(t, pod)
		res, err := Mutate(pod, Inputs{}, cfg)
		if err != nil || res.Changed || !bytes.Equal(once, mustJSON(t, pod)) {
			t.Fatalf("second Mutate changed the pod (err %v, changed %v)", err, res.Changed)
		}
		checkArgvPreserved(t, original, pod)
	})
}

// fuzzPod builds a pod with an app container and an init container; lines
// of command and args become argv elements ("" means unset).
func fuzzPod(command, args, key, value string, uid int64, fsGroup bool) *corev1.Pod {
	pod := appPod(map[string]string{AnnotationVault: "myvault", envX: "DbPassword", key: value})
	app := &pod.Spec.Containers[0]
	app.Command, app.Args = lines(command), lines(args)
	app.SecurityContext = &corev1.SecurityContext{RunAsUser: &uid}
	pod.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "i", Command: lines(args)}}
	if fsGroup {
		g := int64(2000)
		pod.Spec.SecurityContext = &corev1.PodSecurityContext{FSGroup: &g}
	}
	return pod
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// checkArgvPreserved: a container that set `command` runs exactly it
// behind the wrapper, with the same args; one that did not is untouched or
// wrapped.
func checkArgvPreserved(t *testing.T, before, after *corev1.Pod) {
	t.Helper()
	for i, old := range before.Spec.Containers {
		c := after.Spec.Containers[i]
		if !isWrapped(&c) {
			if !reflect.DeepEqual(c.Command, old.Command) || !reflect.DeepEqual(c.Args, old.Args) {
				t.Fatalf("container %s changed without being wrapped: %q %q", c.Name, c.Command, c.Args)
			}
			continue
		}
		if c.Command[1] != "--" {
			t.Fatalf("container %s: wrapper without --: %q", c.Name, c.Command)
		}
		if len(old.Command) > 0 && !isWrapped(&old) {
			if !reflect.DeepEqual(c.Command[2:], old.Command) || !reflect.DeepEqual(c.Args, old.Args) {
				t.Fatalf("container %s: argv not preserved: %q %q, was %q %q", c.Name, c.Command, c.Args, old.Command, old.Args)
			}
		}
	}
}

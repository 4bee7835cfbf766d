package webhook

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/internal/layout"
	"github.com/kvenv/kvenv/internal/secretref"
)

func TestMutateSkips(t *testing.T) {
	cases := map[string]map[string]string{
		"no annotations":          nil,
		"other annotations only":  {"example.com/owner": "team-a"},
		"kvenv settings, no refs": {AnnotationVault: "myvault", AnnotationContainers: "app"},
		"opted out":               {AnnotationInject: "false", envX: "DbPassword", AnnotationVault: "myvault"},
		// Opting out wins over any mistake in the rest.
		"opted out with bad annotations": {AnnotationInject: "false", envX: "", "kvenv.io/evn.X": "x"},
	}
	for name, annotations := range cases {
		t.Run(name, func(t *testing.T) {
			pod := appPod(annotations)
			before := mustJSON(t, pod)
			res := mustMutate(t, pod, Inputs{}, testConfig())
			if res.Changed || len(res.Warnings) > 0 {
				t.Errorf("want a silent skip, got %+v", res)
			}
			if !bytes.Equal(before, mustJSON(t, pod)) {
				t.Error("a skipped pod was modified")
			}
			reqs, err := ImageRequests(pod, Inputs{}, testConfig())
			if err != nil || reqs != nil {
				t.Errorf("ImageRequests on a skipped pod: %v, %v", reqs, err)
			}
		})
	}
}

func TestMutateReportsChangeOnceThenConverges(t *testing.T) {
	pod := appPod(seedAnnotations())
	if res := mustMutate(t, pod, Inputs{}, testConfig()); !res.Changed {
		t.Fatal("first mutation reported no change")
	}
	once := mustJSON(t, pod)
	if res := mustMutate(t, pod, Inputs{}, testConfig()); res.Changed {
		t.Fatal("second mutation reported a change")
	}
	if !bytes.Equal(once, mustJSON(t, pod)) {
		t.Fatal("Mutate(Mutate(p)) differs from Mutate(p)")
	}
}

// TestInitArgsHoldOnlyReferences: the init container's command line holds
// kvenv's flags, "--", then only secretref strings, sorted by variable.
func TestInitArgsHoldOnlyReferences(t *testing.T) {
	pod := appPod(seedAnnotations())
	pod.Annotations[AnnotationClientID] = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	pod.Annotations[AnnotationEnvPrefix+"PINNED"] = "https://other.vault.azure.net/secrets/Pinned/0123456789abcdef0123456789abcdef"
	cfg := testConfig()
	cfg.AuthorityHost, cfg.DisableInstanceDiscovery = "https://login.example/", true
	mustMutate(t, pod, Inputs{}, cfg)
	args := initContainerOf(t, pod).Args
	sep := indexOf(args, "--")
	if sep < 0 {
		t.Fatalf("no -- in %q", args)
	}
	flags := map[string]bool{"--dir": true, "--file-mode": true, "--timeout": true, "--client-id": true, "--authority-host": true, "--disable-instance-discovery": true}
	for _, a := range args[:sep] {
		if name, _, _ := strings.Cut(a, "="); !flags[name] {
			t.Errorf("unexpected flag %q", a)
		}
	}
	var envs []string
	for _, a := range args[sep+1:] {
		ref, err := secretref.Parse(a)
		if err != nil || ref.String() != a {
			t.Errorf("argument %q is not a secretref reference: %v", a, err)
		}
		envs = append(envs, ref.Env)
	}
	want := []string{"PINNED", "SPRING_DATASOURCE_PASSWORD", "SPRING_DATASOURCE_URL", "SPRING_DATASOURCE_USERNAME"}
	if !reflect.DeepEqual(envs, want) {
		t.Errorf("references for %q, want %q (sorted)", envs, want)
	}
}

func TestInitContainerIsRestricted(t *testing.T) {
	pod := appPod(seedAnnotations())
	mustMutate(t, pod, Inputs{}, testConfig())
	init := initContainerOf(t, pod)
	sc := init.SecurityContext
	if sc == nil || !*sc.RunAsNonRoot || *sc.RunAsUser == 0 || *sc.AllowPrivilegeEscalation || !*sc.ReadOnlyRootFilesystem ||
		!reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("init securityContext is not PSA restricted: %+v", sc)
	}
	if init.Command[0] != layout.ImageInitPath || init.Image != testConfig().InjectorImage {
		t.Errorf("init runs %q from %s", init.Command, init.Image)
	}
	if m := init.VolumeMounts[0]; m.Name != layout.VolumeName || m.MountPath != layout.MountPath || m.ReadOnly {
		t.Errorf("init must mount the volume read-write at %s: %+v", layout.MountPath, m)
	}
}

func TestFileAccess(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	cases := []struct {
		name      string
		pod       *corev1.PodSecurityContext
		app, side *corev1.SecurityContext
		uid       int64
		gid       *int64
		mode      string
		warned    bool
	}{
		{"pod runAsUser", &corev1.PodSecurityContext{RunAsUser: i64(1000)}, nil, nil, 1000, nil, "0400", false},
		{"container over pod", &corev1.PodSecurityContext{RunAsUser: i64(1000)}, &corev1.SecurityContext{RunAsUser: i64(7)}, &corev1.SecurityContext{RunAsUser: i64(7), RunAsGroup: i64(8)}, 7, nil, "0400", false},
		{"shared group", &corev1.PodSecurityContext{RunAsUser: i64(5), RunAsGroup: i64(6)}, nil, nil, 5, i64(6), "0400", false},
		{"different users, fsGroup", &corev1.PodSecurityContext{FSGroup: i64(4000)}, &corev1.SecurityContext{RunAsUser: i64(1)}, &corev1.SecurityContext{RunAsUser: i64(2)}, 65532, i64(65532), "0440", false},
		{"root app, fsGroup", &corev1.PodSecurityContext{RunAsUser: i64(0), FSGroup: i64(4000)}, nil, nil, 65532, i64(65532), "0440", false},
		{"one user unknown", &corev1.PodSecurityContext{}, &corev1.SecurityContext{RunAsUser: i64(1)}, nil, 65532, i64(65532), "0444", true},
		{"nothing set", nil, nil, nil, 65532, i64(65532), "0444", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pod := appPod(seedAnnotations())
			pod.Spec.SecurityContext = tc.pod
			pod.Spec.Containers[0].SecurityContext = tc.app
			pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "side", Image: "s", Command: []string{"/s"}, SecurityContext: tc.side})
			res := mustMutate(t, pod, Inputs{}, testConfig())
			init := initContainerOf(t, pod)
			sc := init.SecurityContext
			if *sc.RunAsUser != tc.uid || !reflect.DeepEqual(sc.RunAsGroup, tc.gid) {
				t.Errorf("init runs as %d:%v, want %d:%v", *sc.RunAsUser, derefOr(sc.RunAsGroup), tc.uid, derefOr(tc.gid))
			}
			if indexOf(init.Args, "--file-mode="+tc.mode) < 0 {
				t.Errorf("want --file-mode=%s in %q", tc.mode, init.Args)
			}
			if got := containsWarning(res.Warnings, "world-readable"); got != tc.warned {
				t.Errorf("world-readable warning %v, want %v: %q", got, tc.warned, res.Warnings)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	pod := appPod(seedAnnotations())
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "SPRING_DATASOURCE_URL", Value: "jdbc:postgresql://localhost/demo"}}
	pod.Spec.Containers[0].Args = []string{"--password=$(SPRING_DATASOURCE_PASSWORD)"}
	res := mustMutate(t, pod, Inputs{}, testConfig())
	for _, want := range []string{"node's managed identity", "env SPRING_DATASOURCE_URL, which kvenv overrides", "$(SPRING_DATASOURCE_PASSWORD)", "world-readable"} {
		if !containsWarning(res.Warnings, want) {
			t.Errorf("no warning about %q in %q", want, res.Warnings)
		}
	}
	for _, w := range res.Warnings {
		if len(w) > 256 {
			t.Errorf("warning over 256 bytes, the API server may truncate it: %q", w)
		}
	}
	for name, edit := range map[string]func(*corev1.Pod){
		"client-id":               func(p *corev1.Pod) { p.Annotations[AnnotationClientID] = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" },
		"workload identity label": func(p *corev1.Pod) { p.Labels = map[string]string{workloadIdentityLabel: "true"} },
		"workload identity env":   simulateWorkloadIdentity,
	} {
		p := appPod(seedAnnotations())
		edit(p)
		if res := mustMutate(t, p, Inputs{}, testConfig()); containsWarning(res.Warnings, "node's managed identity") {
			t.Errorf("%s: node identity warned although the pod has its own: %q", name, res.Warnings)
		}
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func containsWarning(warnings []string, part string) bool {
	for _, w := range warnings {
		if strings.Contains(w, part) {
			return true
		}
	}
	return false
}

func derefOr(p *int64) any {
	if p == nil {
		return "unset"
	}
	return *p
}

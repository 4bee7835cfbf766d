package webhook

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/internal/layout"
)

// TestCommandRules follows the Kubernetes rules for command/args against
// the image's ENTRYPOINT/CMD: what the container runs is unchanged, only
// prefixed with the wrapper.
func TestCommandRules(t *testing.T) {
	image := ImageCommand{Entrypoint: []string{"/entry", "-x"}, Cmd: []string{"cmd-arg"}}
	w := func(argv ...string) []string { return append([]string{layout.ExecPath, "--"}, argv...) }
	cases := []struct {
		name              string
		command, args     []string
		image             *ImageCommand
		wantCmd, wantArgs []string
	}{
		{"command only", []string{"/app", "a"}, nil, nil, w("/app", "a"), nil},
		{"command and args", []string{"/app"}, []string{"b"}, nil, w("/app"), []string{"b"}},
		{"args only keep the ENTRYPOINT", nil, []string{"b"}, &image, w("/entry", "-x"), []string{"b"}},
		{"neither runs ENTRYPOINT and CMD", nil, nil, &image, w("/entry", "-x"), []string{"cmd-arg"}},
		{"CMD only image", nil, nil, &ImageCommand{Cmd: []string{"/run"}}, w(), []string{"/run"}},
		{"args only, image without ENTRYPOINT", nil, []string{"/run"}, &ImageCommand{Cmd: []string{"/x"}}, w(), []string{"/run"}},
		{"already wrapped", w("/app"), []string{"b"}, nil, w("/app"), []string{"b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pod := appPod(seedAnnotations())
			pod.Spec.Containers[0].Command, pod.Spec.Containers[0].Args = tc.command, tc.args
			in := Inputs{}
			if tc.image != nil {
				in.Images = map[string]ImageCommand{"app": *tc.image}
			}
			mustMutate(t, pod, in, testConfig())
			c := pod.Spec.Containers[0]
			if !reflect.DeepEqual(c.Command, tc.wantCmd) || !reflect.DeepEqual(c.Args, tc.wantArgs) {
				t.Errorf("got command %q args %q, want %q %q", c.Command, c.Args, tc.wantCmd, tc.wantArgs)
			}
		})
	}
}

// TestImageRequests: only targets without `command` need a look-up, on the
// platform the pod will run on.
func TestImageRequests(t *testing.T) {
	pod := appPod(seedAnnotations())
	pod.Spec.Containers[0].Command = nil
	pod.Spec.ServiceAccountName = "orders"
	pod.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "acr"}, {Name: "mirror"}}
	pod.Spec.Containers = append(pod.Spec.Containers, pod.Spec.Containers[0])
	pod.Spec.Containers[1].Name, pod.Spec.Containers[1].Command = "has-command", []string{"/x"}
	pod.Spec.NodeSelector = map[string]string{labelArch: "arm64"}
	got, err := ImageRequests(pod, Inputs{Namespace: "shop"}, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	want := []ImageRequest{{Container: "app", Image: "registry.example/app:1", OS: "linux", Arch: "arm64", Namespace: "shop", ServiceAccount: "orders", PullSecrets: []string{"acr", "mirror"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	// A pod denied anyway gets no look-up: its container without `command`
	// is named beside the misspelt annotation, as Mutate names it.
	pod.Annotations["kvenv.io/evn.X"] = "S"
	got, err = ImageRequests(pod, Inputs{}, testConfig())
	if err == nil {
		t.Fatal("ImageRequests accepted a misspelt annotation")
	}
	if d := asDenial(t, err); len(d.Problems) != 2 || !strings.Contains(d.Problems[1], "container app") {
		t.Errorf("want the misspelt annotation and container app's unknown ENTRYPOINT, got %q", d.Problems)
	}
	if got != nil {
		t.Errorf("look-ups for a denied pod: %+v", got)
	}
}

func TestPodPlatform(t *testing.T) {
	cfg := testConfig()
	in := func(label string, values ...string) corev1.NodeSelectorRequirement {
		return corev1.NodeSelectorRequirement{Key: label, Operator: corev1.NodeSelectorOpIn, Values: values}
	}
	notIn := corev1.NodeSelectorRequirement{Key: labelArch, Operator: corev1.NodeSelectorOpNotIn, Values: []string{"arm64"}}
	term := func(reqs ...corev1.NodeSelectorRequirement) corev1.NodeSelectorTerm {
		return corev1.NodeSelectorTerm{MatchExpressions: reqs}
	}
	cases := []struct {
		name  string
		terms []corev1.NodeSelectorTerm
		want  Platform
	}{
		{"no affinity: the default", nil, Platform{"linux", "amd64"}},
		{"one term pins arch", []corev1.NodeSelectorTerm{term(in(labelArch, "arm64"))}, Platform{"linux", "arm64"}},
		{"every term agrees", []corev1.NodeSelectorTerm{term(in(labelArch, "arm64")), term(in(labelOS, "linux"), in(labelArch, "arm64"))}, Platform{"linux", "arm64"}},
		{"terms disagree", []corev1.NodeSelectorTerm{term(in(labelArch, "arm64")), term(in(labelArch, "ppc64le"))}, Platform{"linux", "amd64"}},
		{"a term does not pin", []corev1.NodeSelectorTerm{term(in(labelArch, "arm64")), term(in(labelOS, "linux"))}, Platform{"linux", "amd64"}},
		{"two values pin nothing", []corev1.NodeSelectorTerm{term(in(labelArch, "arm64", "amd64"))}, Platform{"linux", "amd64"}},
		{"NotIn pins nothing", []corev1.NodeSelectorTerm{term(notIn)}, Platform{"linux", "amd64"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pod := appPod(nil)
			if tc.terms != nil {
				pod.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: tc.terms},
				}}
			}
			if got := podPlatform(pod, cfg); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	pod := appPod(nil)
	pod.Spec.NodeSelector = map[string]string{labelOS: "linux", labelArch: "s390x"}
	if got := podPlatform(pod, cfg); got != (Platform{"linux", "s390x"}) {
		t.Errorf("node selector: got %+v", got)
	}
	pod.Spec.NodeSelector, pod.Spec.OS = nil, &corev1.PodOS{Name: corev1.Windows}
	if got := podPlatform(pod, cfg); got.OS != "windows" {
		t.Errorf("spec.os: got %+v", got)
	}
}

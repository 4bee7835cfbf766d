package migrate_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/kvenv/kvenv/internal/layout"
	"github.com/kvenv/kvenv/webhook"
	"github.com/kvenv/kvenv/webhook/migrate"
)

// The tutorial's migrated Deployment is accepted by the webhook's own pure
// mutation, which turns the three annotations into three references for the
// init container.
func TestTutorialOutputIsAcceptedByTheWebhook(t *testing.T) {
	raw, err := os.ReadFile("testdata/in/tutorial.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := migrate.Migrate(raw)
	if err != nil {
		t.Fatal(err)
	}
	pods := podsOf(t, res.Manifests)
	if len(pods) != 1 {
		t.Fatalf("want one pod template, got %d", len(pods))
	}
	pod := pods[0].pod
	in := webhook.Inputs{Namespace: "sampleapp", Images: map[string]webhook.ImageCommand{
		"sampleapp": {Entrypoint: []string{"java", "-jar", "/app.jar"}},
	}}
	result, err := webhook.Mutate(pod, in, testConfig())
	if err != nil {
		t.Fatalf("the webhook denies the migrated pod: %v", err)
	}
	if !result.Changed || pod.Spec.InitContainers[0].Name != layout.InitContainerName {
		t.Fatalf("not injected: %+v", pod.Spec.InitContainers)
	}
	args := strings.Join(pod.Spec.InitContainers[0].Args, " ")
	for _, ref := range []string{
		"SPRING_DATASOURCE_URL=https://myvault.vault.azure.net/secrets/DatasourceURL",
		"SPRING_DATASOURCE_USERNAME=https://myvault.vault.azure.net/secrets/DatasourceUsername",
		"SPRING_DATASOURCE_PASSWORD=https://myvault.vault.azure.net/secrets/DatasourcePassword",
		"--client-id=6b3a3c4e-1f0d-4b8e-9a55-1c2d3e4f5a6b",
	} {
		if !strings.Contains(args, ref) {
			t.Errorf("init container args lack %q: %s", ref, args)
		}
	}
	if got := pod.Spec.Containers[0].Command; len(got) < 3 || got[0] != layout.ExecPath || got[2] != "java" {
		t.Errorf("app command not wrapped around the entrypoint: %q", got)
	}
}

// Every pod template of every golden output that carries kvenv annotations
// is accepted by Mutate: migrate never writes what the webhook denies.
func TestEveryMigratedTemplateIsAccepted(t *testing.T) {
	goldens, _ := filepath.Glob("testdata/golden/*.yaml")
	for _, g := range goldens {
		raw, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range podsOf(t, raw) {
			if !hasKvenvAnnotations(p.pod) {
				continue
			}
			t.Run(filepath.Base(g)+"/"+p.name, func(t *testing.T) {
				in := webhook.Inputs{Namespace: "default", Images: map[string]webhook.ImageCommand{}}
				for _, c := range append(p.pod.Spec.InitContainers, p.pod.Spec.Containers...) {
					in.Images[c.Name] = webhook.ImageCommand{Entrypoint: []string{"/entrypoint"}}
				}
				if _, err := webhook.Mutate(p.pod, in, testConfig()); err != nil {
					t.Errorf("denied: %v", err)
				}
			})
		}
	}
}

// testConfig is the webhook's default configuration with the one setting
// that has no default: the image of the init container.
func testConfig() webhook.Config {
	cfg := webhook.DefaultConfig()
	cfg.InjectorImage = "registry.example/kvenv:test"
	return cfg
}

type namedPod struct {
	name string
	pod  *corev1.Pod
}

// podsOf returns, for each workload document, a pod made from its template
// the way its controller would.
func podsOf(t *testing.T, manifests []byte) []namedPod {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(manifests)))
	var out []namedPod
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var tm metav1.TypeMeta
		if yaml.Unmarshal(doc, &tm) != nil {
			continue
		}
		if tmpl := templateOf(t, tm.Kind, doc); tmpl != nil {
			out = append(out, namedPod{tm.Kind, &corev1.Pod{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}})
		}
	}
}

func templateOf(t *testing.T, kind string, doc []byte) *corev1.PodTemplateSpec {
	t.Helper()
	decode := func(into any) {
		if err := yaml.UnmarshalStrict(doc, into); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
	}
	switch kind {
	case "Pod":
		p := &corev1.Pod{}
		decode(p)
		return &corev1.PodTemplateSpec{ObjectMeta: p.ObjectMeta, Spec: p.Spec}
	case "Deployment":
		d := &appsv1.Deployment{}
		decode(d)
		return &d.Spec.Template
	case "StatefulSet":
		s := &appsv1.StatefulSet{}
		decode(s)
		return &s.Spec.Template
	case "DaemonSet":
		d := &appsv1.DaemonSet{}
		decode(d)
		return &d.Spec.Template
	case "ReplicaSet":
		r := &appsv1.ReplicaSet{}
		decode(r)
		return &r.Spec.Template
	case "Job":
		j := &batchv1.Job{}
		decode(j)
		return &j.Spec.Template
	case "CronJob":
		c := &batchv1.CronJob{}
		decode(c)
		return &c.Spec.JobTemplate.Spec.Template
	}
	return nil
}

func hasKvenvAnnotations(pod *corev1.Pod) bool {
	for k := range pod.Annotations {
		if strings.HasPrefix(k, "kvenv.io/") {
			return true
		}
	}
	return false
}

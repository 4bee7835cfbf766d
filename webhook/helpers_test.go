package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.InjectorImage = "registry.example/kvenv:v1.0.0"
	return cfg
}

// appPod is a pod with one container "app" whose command is set, and the
// given kvenv annotations.
func appPod(annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "apps", Annotations: annotations},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "registry.example/app:1", Command: []string{"/app", "--serve"},
		}}},
	}
}

// seedAnnotations are the tutorial's three references.
func seedAnnotations() map[string]string {
	return map[string]string{
		AnnotationVault: "myvault",
		AnnotationEnvPrefix + "SPRING_DATASOURCE_URL":      "DatasourceURL",
		AnnotationEnvPrefix + "SPRING_DATASOURCE_USERNAME": "DatasourceUsername",
		AnnotationEnvPrefix + "SPRING_DATASOURCE_PASSWORD": "DatasourcePassword",
	}
}

func mustMutate(t *testing.T, pod *corev1.Pod, in Inputs, cfg Config) Result {
	t.Helper()
	res, err := Mutate(pod, in, cfg)
	if err != nil {
		t.Fatalf("Mutate: %v", err)
	}
	return res
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func asDenial(t *testing.T, err error) *Denial {
	t.Helper()
	var d *Denial
	if !errors.As(err, &d) {
		t.Fatalf("want a *Denial, got %T: %v", err, err)
	}
	return d
}

func initContainerOf(t *testing.T, pod *corev1.Pod) corev1.Container {
	t.Helper()
	if len(pod.Spec.InitContainers) == 0 || pod.Spec.InitContainers[0].Name != "kvenv-init" {
		t.Fatalf("first init container is not kvenv-init: %+v", pod.Spec.InitContainers)
	}
	return pod.Spec.InitContainers[0]
}

// assertTemplatesConverged mutates every pod template in rendered YAML
// directly: nothing may change, byte for byte.
func assertTemplatesConverged(t *testing.T, rendered []byte, in Inputs, cfg Config) {
	t.Helper()
	docs, err := readDocuments(bytes.NewReader(rendered))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		obj, err := decodeJSONObject(d.json)
		if err != nil {
			t.Fatal(err)
		}
		for _, tmpl := range podTemplates(obj) {
			pod, err := tmpl.pod()
			if err != nil {
				t.Fatal(err)
			}
			before := mustJSON(t, pod)
			res := mustMutate(t, pod, Inputs{Namespace: in.Namespace, NamespaceAnnotations: in.NamespaceAnnotations}, cfg)
			if res.Changed {
				t.Errorf("%s: Mutate reported a change on its own output", tmpl.object)
			}
			if after := mustJSON(t, pod); !bytes.Equal(before, after) {
				t.Errorf("%s: Mutate changed its own output:\n%s\n%s", tmpl.object, before, after)
			}
		}
	}
}

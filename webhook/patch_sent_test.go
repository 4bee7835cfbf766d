package webhook_test

import (
	"encoding/json"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kvenv/kvenv/webhook"
)

// podFromANewerAPIServer has two init containers with fields this build of
// kvenv does not know, as a newer API server would send them: "setup", not
// a target, and "sidecar", a native sidecar named as a target, with such a
// field in one of its mounts too. Otherwise it has what the API server's
// own types would write (an empty "resources" among them).
const podFromANewerAPIServer = `{
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "app", "namespace": "apps", "annotations": {
    "kvenv.io/vault": "myvault", "kvenv.io/env.DB_PASSWORD": "DbPassword",
    "kvenv.io/client-id": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "kvenv.io/containers": "app,sidecar"}},
  "spec": {
    "volumes": [{"name": "data", "emptyDir": {}}],
    "initContainers": [
      {"name": "setup", "image": "registry.example/setup:1", "command": ["/setup"], "resources": {},
       "futureField": {"level": 3}},
      {"name": "sidecar", "image": "registry.example/side:1", "command": ["/side"], "restartPolicy": "Always", "resources": {},
       "futureField": "kept",
       "volumeMounts": [{"name": "data", "mountPath": "/data", "futureMountField": true}]}
    ],
    "containers": [{"name": "app", "image": "registry.example/app:1", "command": ["/app"]}]
  }
}`

// TestInitContainersKeepFieldsKvenvDoesNotKnow: kvenv-init goes first and
// the pod's init containers move down one place; the patch must move each
// with every field it was sent with, and give kvenv-init none of them.
func TestInitContainersKeepFieldsKvenvDoesNotKnow(t *testing.T) {
	cfg := webhook.DefaultConfig()
	cfg.InjectorImage = "registry.example/kvenv:v1.0.0"
	h := &webhook.Handler{Config: cfg, Namespaces: staticNamespaces{}}
	answer := decodeAnswer(t, serveReview(h, "application/json", reviewOfRaw(t, podFromANewerAPIServer)).Body.Bytes())
	if !answer.Allowed || answer.Patch == nil {
		t.Fatalf("want a patch, got allowed=%v result=%+v", answer.Allowed, answer.Result)
	}
	patch, err := jsonpatch.DecodePatch(answer.Patch)
	if err != nil {
		t.Fatal(err)
	}
	patched, err := patch.Apply([]byte(podFromANewerAPIServer))
	if err != nil {
		t.Fatalf("the patch does not apply to the pod as sent: %v", err)
	}
	inits := initContainersByName(t, patched)

	if got := string(inits["setup"]["futureField"]); got != `{"level":3}` {
		t.Errorf("setup's futureField is %s after the patch, want {\"level\":3}", orAbsent(got))
	}
	if got := string(inits["sidecar"]["futureField"]); got != `"kept"` {
		t.Errorf("sidecar's futureField is %s after the patch, want \"kept\"", orAbsent(got))
	}
	if _, moved := inits["kvenv-init"]["futureField"]; moved {
		t.Error("kvenv-init got a field of the init container that was at its place")
	}
	var sidecar corev1.Container
	sidecarJSON, _ := json.Marshal(inits["sidecar"])
	if err := json.Unmarshal(sidecarJSON, &sidecar); err != nil {
		t.Fatal(err)
	}
	if len(sidecar.Command) < 3 || sidecar.Command[0] != "/kvenv/bin/kvenv-exec" || len(sidecar.VolumeMounts) != 2 {
		t.Errorf("the sidecar is not wrapped: command %q, mounts %+v", sidecar.Command, sidecar.VolumeMounts)
	}
	var mounts []map[string]json.RawMessage
	if err := json.Unmarshal(inits["sidecar"]["volumeMounts"], &mounts); err != nil || len(mounts) == 0 {
		t.Fatalf("sidecar mounts: %v", err)
	}
	if string(mounts[0]["futureMountField"]) != "true" {
		t.Errorf("the sidecar's own mount lost futureMountField: %s", inits["sidecar"]["volumeMounts"])
	}
}

// reviewOfRaw wraps a pod's JSON, byte for byte, in a CREATE review.
func reviewOfRaw(t *testing.T, pod string) []byte {
	t.Helper()
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: "raw-uid", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource: metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Name:     "app", Namespace: "apps", Operation: admissionv1.Create,
			Object: runtime.RawExtension{Raw: []byte(pod)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func initContainersByName(t *testing.T, pod []byte) map[string]map[string]json.RawMessage {
	t.Helper()
	var doc struct {
		Spec struct {
			InitContainers []map[string]json.RawMessage `json:"initContainers"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(pod, &doc); err != nil {
		t.Fatal(err)
	}
	byName := map[string]map[string]json.RawMessage{}
	for i, c := range doc.Spec.InitContainers {
		var name string
		json.Unmarshal(c["name"], &name)
		byName[name] = c
		if i == 0 && name != "kvenv-init" {
			t.Errorf("the first init container is %q, want kvenv-init", name)
		}
	}
	if len(byName) != 3 {
		t.Fatalf("init containers after the patch: %d, want kvenv-init, setup and sidecar", len(byName))
	}
	return byName
}

func orAbsent(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}

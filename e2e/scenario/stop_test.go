package scenario

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kvenv/kvenv/e2e/sampleapp/todo"
	"github.com/kvenv/kvenv/internal/leakcheck"
)

// holdFinalizer keeps a deleted pod's object, with its final container
// states and logs, until the test has read them.
const holdFinalizer = "e2e.kvenv.io/hold"

// testGracefulStop: deleting the pod sends SIGTERM to the app itself (PID
// 1 behind the wrapper): it logs its graceful stop and its own exit code
// becomes the container's.
func testGracefulStop(t *testing.T, s *Scenario, pod *corev1.Pod) {
	pods := s.Cluster.Client.CoreV1().Pods(pod.Namespace)
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"finalizers": []string{holdFinalizer}}})
	if _, err := pods.Patch(apiCtx(t), pod.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { releasePod(t, s, pod) })
	if err := pods.Delete(apiCtx(t), pod.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	stopped := waitPod(t, s, pod.Namespace, pod.Name, func(p *corev1.Pod) (bool, error) {
		cs, _ := containerStatus(p, AppName)
		return cs.State.Terminated != nil, nil
	})
	cs, _ := containerStatus(stopped, AppName)
	if code := cs.State.Terminated.ExitCode; code != todo.GracefulExitCode {
		t.Errorf("the app container exited with %d, want the app's own %d after SIGTERM", code, todo.GracefulExitCode)
	}
	log := podLogs(t, s, stopped, AppName, false)
	if !strings.Contains(log, todo.StopLine) {
		t.Errorf("the app's log lacks %q:\n%s", todo.StopLine, s.Redact(log))
	}
	leakcheck.Check(t, "the stopped app's log", log, s.Values()...)
}

// releasePod removes the hold so the pod object goes.
func releasePod(t *testing.T, s *Scenario, pod *corev1.Pod) {
	patch := []byte(`{"metadata":{"finalizers":null}}`)
	_, err := s.Cluster.Client.CoreV1().Pods(pod.Namespace).Patch(apiCtx(t), pod.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("releasing pod %s: %v", pod.Name, err)
	}
}

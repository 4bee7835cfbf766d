package scenario

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/e2e/sampleapp/todo"
	"github.com/kvenv/kvenv/internal/layout"
	"github.com/kvenv/kvenv/internal/leakcheck"
)

// testReferencesOnly: the app got its credentials only through kvenv's
// wrapper. The stored pod holds references and no value; the app container
// (which set no command) runs the wrapper in front of the ENTRYPOINT kvenv
// read from the registry; no container has a SPRING_* variable in its spec.
func testReferencesOnly(t *testing.T, s *Scenario, pod *corev1.Pod) {
	raw, err := s.Cluster.Client.CoreV1().RESTClient().Get().Namespace(pod.Namespace).Resource("pods").Name(pod.Name).DoRaw(apiCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(leakcheck.Find(s.Values(), string(raw))); n > 0 {
		t.Errorf("the stored pod %s holds %d credential value(s)", pod.Name, n)
	}
	if len(pod.Spec.InitContainers) == 0 || pod.Spec.InitContainers[0].Name != layout.InitContainerName {
		t.Fatalf("first init container is not %s: %v", layout.InitContainerName, pod.Spec.InitContainers)
	}
	initArgs := strings.Join(pod.Spec.InitContainers[0].Args, " ")
	for env, secret := range map[string]string{todo.EnvURL: SecretURL, todo.EnvUsername: SecretUsername, todo.EnvPassword: SecretPassword} {
		ref := env + "=" + s.Azure.VaultURL() + "/secrets/" + secret
		if !strings.Contains(initArgs, ref) {
			t.Errorf("kvenv-init's args %q lack the reference %s", initArgs, ref)
		}
	}
	app := pod.Spec.Containers[0]
	if want := []string{layout.ExecPath, "--", "/sampleapp"}; !slices.Equal(app.Command, want) {
		t.Errorf("app command %q, want %q (the wrapper before the image's ENTRYPOINT)", app.Command, want)
	}
	for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		for _, e := range c.Env {
			if strings.HasPrefix(e.Name, "SPRING_") {
				t.Errorf("container %s has %s in its spec", c.Name, e.Name)
			}
		}
	}
}

// testInitTiming records how long kvenv-init ran for the three secrets,
// from start to exit, for the performance work (issue 6). The status
// timestamps have one-second resolution; containerd's task events give
// milliseconds.
func testInitTiming(t *testing.T, pod *corev1.Pod, events *taskEvents) {
	cs, ok := containerStatus(pod, layout.InitContainerName)
	if !ok || cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 0 {
		t.Fatalf("%s has not completed: %+v", layout.InitContainerName, cs.State)
	}
	term := cs.State.Terminated
	t.Logf("kvenv-e2e: init container start-to-exit (status timestamps, 1 s resolution): %d ms",
		term.FinishedAt.Sub(term.StartedAt.Time).Milliseconds())
	d, err := events.startToExit(strings.TrimPrefix(cs.ContainerID, "containerd://"))
	if err != nil {
		t.Fatalf("containerd task events of %s: %v", layout.InitContainerName, err)
	}
	t.Logf("kvenv-e2e: init container start-to-exit: %d ms", d.Milliseconds())
}

package scenario

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/e2e/sampleapp/todo"
	"github.com/kvenv/kvenv/internal/layout"
)

// testRestartWithoutFetch: the app is PID 1 of its container (the wrapper
// exec'd it) and its environment holds the three values, which its spec
// does not: the wrapper set them. When it crashes the kubelet restarts it
// with the same variables, read again from the memory volume: kvenv-init
// does not run again and neither Key Vault nor Entra ID sees a request.
func testRestartWithoutFetch(t *testing.T, s *Scenario, pod *corev1.Pod) {
	before, tokensBefore := s.Azure.Vault.Counts(), s.Azure.Entra.TokenRequests()
	initBefore, _ := containerStatus(pod, layout.InitContainerName)
	app, _ := containerStatus(pod, AppName)
	pid := containerPID1(t, strings.TrimPrefix(app.ContainerID, "containerd://"))
	if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); filepath.Base(exe) != "sampleapp" {
		t.Fatalf("PID 1 of the app container is %q, want the app itself (kvenv-exec must exec it)", exe)
	}
	checkAppEnv(t, s, pid)
	// A crash: SIGKILL from the host, nothing the app can handle.
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	restarted := waitPod(t, s, pod.Namespace, pod.Name, func(p *corev1.Pod) (bool, error) {
		cs, _ := containerStatus(p, AppName)
		return cs.RestartCount == 1 && cs.Ready, nil
	})
	testTutorialList(t, AppURL(restarted.Status.PodIP))
	app, _ = containerStatus(restarted, AppName)
	checkAppEnv(t, s, containerPID1(t, strings.TrimPrefix(app.ContainerID, "containerd://")))
	initAfter, _ := containerStatus(restarted, layout.InitContainerName)
	if initAfter.ContainerID != initBefore.ContainerID || initAfter.RestartCount != 0 {
		t.Errorf("kvenv-init ran again: container %s restarts %d, before %s", initAfter.ContainerID, initAfter.RestartCount, initBefore.ContainerID)
	}
	if after := s.Azure.Vault.Counts(); after.Secrets != before.Secrets || after.Challenges != before.Challenges {
		t.Errorf("the vault answered again after the restart: %d secrets, %d challenges before; %d, %d after",
			before.Secrets, before.Challenges, after.Secrets, after.Challenges)
	}
	if tokens := s.Azure.Entra.TokenRequests(); tokens != tokensBefore {
		t.Errorf("Entra ID got %d token requests after the restart, want none", tokens-tokensBefore)
	}
}

// containerPID1 finds, on the host, the process that is PID 1 in the
// container's PID namespace: it sits in the container's cgroup (whose path
// ends in the container ID) and its innermost NSpid is 1.
func containerPID1(t *testing.T, containerID string) int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cgroup, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cgroup"))
		if err != nil || !bytes.Contains(cgroup, []byte(containerID)) {
			continue
		}
		if nsPID(pid) == 1 {
			return pid
		}
	}
	t.Fatalf("no process is PID 1 of container %s", containerID)
	return 0
}

// nsPID is the process's PID in its innermost PID namespace.
func nsPID(pid int) int {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "NSpid:" {
			n, _ := strconv.Atoi(f[len(f)-1])
			return n
		}
	}
	return 0
}

// checkAppEnv compares the process's environment, read on the host, with
// the vault's values (kept in this process's memory only).
func checkAppEnv(t *testing.T, s *Scenario, pid int) {
	t.Helper()
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, kv := range strings.Split(string(environ), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	c := s.Credentials()
	for env, want := range map[string]string{todo.EnvURL: c.URL, todo.EnvUsername: c.Username, todo.EnvPassword: c.Password} {
		if got, ok := vars[env]; !ok || got != want {
			t.Errorf("the app process %d: %s set %v, equal to the vault's value %v", pid, env, ok, got == want)
		}
	}
}

package scenario

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podTimeout bounds every wait for a test pod.
const podTimeout = 3 * time.Minute

// apiCtx is a context for one API request.
func apiCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	t.Cleanup(cancel)
	return ctx
}

// runPod creates pod and waits until done says it is finished.
func runPod(t *testing.T, s *Scenario, pod *corev1.Pod, done func(*corev1.Pod) (bool, error)) *corev1.Pod {
	t.Helper()
	if _, err := s.Cluster.Client.CoreV1().Pods(pod.Namespace).Create(apiCtx(t), pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating pod %s/%s: %v", pod.Namespace, pod.Name, err)
	}
	return waitPod(t, s, pod.Namespace, pod.Name, done)
}

func waitPod(t *testing.T, s *Scenario, ns, name string, done func(*corev1.Pod) (bool, error)) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	var failed error
	err := Poll("pod "+ns+"/"+name, podTimeout, func(ctx context.Context) error {
		var err error
		if pod, err = s.Cluster.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			return err
		}
		finished, err := done(pod)
		if err != nil {
			failed = err
			return nil // stop waiting: it cannot get better
		}
		if !finished {
			return fmt.Errorf("not finished: %s", PodSummary(pod))
		}
		return nil
	})
	if err == nil {
		err = failed
	}
	if err != nil {
		t.Fatalf("%v%s", err, s.DescribePods(ns))
	}
	return pod
}

// succeeded finishes on phase Succeeded and fails on Failed.
func succeeded(pod *corev1.Pod) (bool, error) {
	if pod.Status.Phase == corev1.PodFailed {
		return false, fmt.Errorf("pod %s failed: %s", pod.Name, PodSummary(pod))
	}
	return pod.Status.Phase == corev1.PodSucceeded, nil
}

// podLogs reads one container's log through the API server.
func podLogs(t *testing.T, s *Scenario, pod *corev1.Pod, container string, previous bool) string {
	t.Helper()
	out, err := s.Cluster.Client.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name,
		&corev1.PodLogOptions{Container: container, Previous: previous}).DoRaw(apiCtx(t))
	if err != nil {
		t.Fatalf("logs of %s/%s container %s (previous %v): %v", pod.Namespace, pod.Name, container, previous, err)
	}
	return string(out)
}

// shellPod is a kvenv pod of the app namespace running script in busybox
// as the app's identity, once.
func shellPod(s *Scenario, name, script string) *corev1.Pod {
	tmpl := s.PodTemplate(name, AppName, s.AppClientID, corev1.Container{
		Name: "shell", Image: s.Cluster.Images.Busybox, Command: []string{"sh", "-c", script},
	})
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	return &corev1.Pod{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}
}

func containerStatus(pod *corev1.Pod, name string) (corev1.ContainerStatus, bool) {
	for _, cs := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		if cs.Name == name {
			return cs, true
		}
	}
	return corev1.ContainerStatus{}, false
}

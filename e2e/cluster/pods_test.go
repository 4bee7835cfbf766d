package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// podTimeout bounds every wait for a pod (image pull, start, finish).
const podTimeout = 2 * time.Minute

// shellContainer is a busybox container running script with sh -c.
func shellContainer(image, name, script string, mounts ...corev1.VolumeMount) corev1.Container {
	return corev1.Container{Name: name, Image: image, Command: []string{"sh", "-c", script}, VolumeMounts: mounts}
}

// waitPod polls the pod until done says it is finished (true) or failed.
func waitPod(t *testing.T, client kubernetes.Interface, ns, name string, done func(*corev1.Pod) (bool, error)) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	err := waitFor("pod "+ns+"/"+name, podTimeout, nil, func(ctx context.Context) error {
		var err error
		if pod, err = client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			return err
		}
		finished, err := done(pod)
		if err != nil {
			return permanent(err)
		}
		if !finished {
			return fmt.Errorf("phase %s", pod.Status.Phase)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%v\npod status: %s%s", err, podSummary(pod), containerLogs(client, pod))
	}
	return pod
}

// containerLogs is the log of every container of pod, best effort, for a
// failure message.
func containerLogs(client kubernetes.Interface, pod *corev1.Pod) string {
	if pod == nil {
		return ""
	}
	s := ""
	all := append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
	for _, c := range all {
		ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
		out, err := client.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: c.Name}).DoRaw(ctx)
		cancel()
		s += fmt.Sprintf("\nlog of container %s (%v):\n%s", c.Name, err, out)
	}
	return s
}

// succeeded finishes on phase Succeeded and fails fast on Failed.
func succeeded(pod *corev1.Pod) (bool, error) {
	if pod.Status.Phase == corev1.PodFailed {
		return false, fmt.Errorf("pod %s failed: %s", pod.Name, podSummary(pod))
	}
	return pod.Status.Phase == corev1.PodSucceeded, nil
}

func podSummary(pod *corev1.Pod) string {
	if pod == nil {
		return "(no pod)"
	}
	s := fmt.Sprintf("phase=%s reason=%q", pod.Status.Phase, pod.Status.Reason)
	all := append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
	for _, cs := range all {
		s += fmt.Sprintf(" [%s ready=%v state=%+v]", cs.Name, cs.Ready, cs.State)
	}
	return s
}

// podLogs reads a container's log through the API server, which fetches it
// from the kubelet (what kubectl logs does).
func podLogs(t *testing.T, client kubernetes.Interface, ns, pod, container string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	out, err := client.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container}).DoRaw(ctx)
	if err != nil {
		t.Fatalf("logs of %s/%s container %s: %v: %s", ns, pod, container, err, out)
	}
	return string(out)
}

func createPod(t *testing.T, client kubernetes.Interface, pod *corev1.Pod) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	if _, err := client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating pod %s: %v", pod.Name, err)
	}
}

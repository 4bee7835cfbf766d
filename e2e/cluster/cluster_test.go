package cluster

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestClusterRunsPods starts a real cluster, runs the kinds of pods kvenv's
// scenario needs, then stops it and checks that nothing of it is left.
func TestClusterRunsPods(t *testing.T) {
	begin := time.Now()
	c := StartForTest(t, Options{})
	t.Logf("cluster ready in %s: %v", time.Since(begin).Round(time.Millisecond), c.Timings)

	t.Run("pods", func(t *testing.T) {
		t.Run("init container fills a memory volume the app reads", func(t *testing.T) { t.Parallel(); testMemoryVolume(t, c) })
		t.Run("deployment gets a running pod", func(t *testing.T) { t.Parallel(); testDeployment(t, c) })
		t.Run("projected service account token verifies with the jwks", func(t *testing.T) { t.Parallel(); testProjectedToken(t, c) })
		t.Run("pods reach the API server and registry at the node IP", func(t *testing.T) { t.Parallel(); testNodeIPFromPod(t, c) })
	})
	t.Run("stop leaves nothing behind", func(t *testing.T) { testStopLeavesNothing(t, c) })
}

func testMemoryVolume(t *testing.T, c *Cluster) {
	mount := corev1.VolumeMount{Name: "work", MountPath: "/work"}
	size := resource.MustParse("1Mi")
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "memory-volume", Namespace: "default"},
		Spec: corev1.PodSpec{
			RestartPolicy:  corev1.RestartPolicyNever,
			InitContainers: []corev1.Container{shellContainer(c.Images.Busybox, "writer", "echo written-by-init > /work/msg", mount)},
			Containers:     []corev1.Container{shellContainer(c.Images.Busybox, "reader", "cat /work/msg; grep ' /work ' /proc/mounts", mount)},
			Volumes: []corev1.Volume{{Name: "work", VolumeSource: corev1.VolumeSource{
				EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: &size},
			}}},
		},
	}
	createPod(t, c.Client, pod)
	waitPod(t, c.Client, pod.Namespace, pod.Name, succeeded)
	logs := podLogs(t, c.Client, pod.Namespace, pod.Name, "reader")
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 2 || lines[0] != "written-by-init" || !strings.HasPrefix(lines[1], "tmpfs /work tmpfs ") {
		t.Fatalf("reader's log = %q, want the init container's line, then /work as a tmpfs mount", logs)
	}
}

func testDeployment(t *testing.T, c *Cluster) {
	labels := map[string]string{"app": "sleeper"}
	replicas := int32(1)
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "sleeper", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{
					shellContainer(c.Images.Busybox, "sleeper", "echo sleeper-started; exec sleep 3600"),
				}},
			},
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	if _, err := c.Client.AppsV1().Deployments("default").Create(ctx, deploy, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the deployment: %v", err)
	}
	name := deploymentPod(t, c, "app=sleeper")
	waitPod(t, c.Client, "default", name, func(pod *corev1.Pod) (bool, error) {
		return pod.Status.Phase == corev1.PodRunning && len(pod.Status.ContainerStatuses) == 1 && pod.Status.ContainerStatuses[0].Ready, nil
	})
	// Ready as soon as it starts, the container may not have had its first
	// line written to the log yet: containerd copies output asynchronously.
	err := waitFor("the log of "+name, checkTimeout, nil, func(ctx context.Context) error {
		out, err := c.Client.CoreV1().Pods("default").GetLogs(name, &corev1.PodLogOptions{Container: "sleeper"}).DoRaw(ctx)
		if err != nil || string(out) != "sleeper-started\n" {
			return fmt.Errorf("log %q (%v), want %q", out, err, "sleeper-started\n")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// deploymentPod waits for the controller-manager to create a pod matching
// selector and for the scheduler to bind it; it returns its name.
func deploymentPod(t *testing.T, c *Cluster, selector string) string {
	t.Helper()
	var name string
	err := waitFor("a scheduled pod "+selector, podTimeout, nil, func(ctx context.Context) error {
		pods, err := c.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return err
		}
		for _, p := range pods.Items {
			if p.Spec.NodeName == NodeName {
				name = p.Name
				return nil
			}
		}
		return errNoScheduledPod
	})
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// testNodeIPFromPod: pods reach what the node IP serves, and InClusterEnv
// leads in-cluster clients to the API server's port. (busybox's TLS cannot
// talk to Go servers, which require signature_algorithms, so the API
// server is only dialled; the registry answers plain HTTP.)
func testNodeIPFromPod(t *testing.T, c *Cluster) {
	script := `nc -w 5 $KUBERNETES_SERVICE_HOST $KUBERNETES_SERVICE_PORT </dev/null && echo api-server-port-open && wget -q -O - http://` + c.Registry + `/v2/kvenv/busybox/tags/list`
	container := shellContainer(c.Images.Busybox, "client", script)
	container.Env = c.InClusterEnv()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "node-ip-client", Namespace: "default"},
		Spec:       corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{container}},
	}
	createPod(t, c.Client, pod)
	waitPod(t, c.Client, pod.Namespace, pod.Name, succeeded)
	want := "api-server-port-open\n" + `{"name":"kvenv/busybox","tags":["e2e"]}`
	if logs := podLogs(t, c.Client, pod.Namespace, pod.Name, "client"); strings.TrimSpace(logs) != want {
		t.Fatalf("client log = %q, want %q: the API server's port open, then the registry's busybox tags", logs, want)
	}
}

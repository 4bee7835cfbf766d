package manifests

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kvenv/kvenv/internal/testcluster"
	"github.com/kvenv/kvenv/webhook"
)

// TestOptedOutPodsPassWhileKvenvIsDown registers the chart's webhook
// configuration (failurePolicy Fail) on a real API server with no webhook
// behind it. A pod that opted out with kvenv.io/inject "false" must still be
// admitted, because the configuration never sends it, while a pod asking
// for a secret is refused.
func TestOptedOutPodsPassWhileKvenvIsDown(t *testing.T) {
	c := newClusterUnlessShort(t)
	mwc := render(t, "kvenv", "kvenv").all("MutatingWebhookConfiguration")
	// Nothing listens on this port: kvenv is down.
	pointAtLoopback(t, mwc, "https://127.0.0.1:"+strconv.Itoa(testcluster.FreeLoopbackPort(t))+webhook.MutatePath)
	c.apply(t, mwc)
	createNamespace(t, c.api.Client, "apps", map[string]string{webhook.NamespaceLabel: webhook.NamespaceLabelEnabled})

	waitUntilAnnotatedPodsAreRefused(t, c.api.Client, "apps")
	optedOut := annotatedPod()
	optedOut.Annotations[webhook.AnnotationInject] = "false"
	got, err := c.api.Client.CoreV1().Pods("apps").Create(context.Background(), optedOut, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("a pod with %s: \"false\" must be admitted while kvenv is down: %v", webhook.AnnotationInject, err)
	}
	if len(got.Spec.InitContainers) != 0 || got.Annotations[webhook.AnnotationStatus] != "" {
		t.Fatalf("the opted-out pod %s was changed: %v", got.Name, got.Annotations)
	}
}

// waitUntilAnnotatedPodsAreRefused polls (dry run) until the API server
// calls the unreachable webhook, which it does once its informer has seen
// the new configuration; only then does an admitted pod prove anything.
func waitUntilAnnotatedPodsAreRefused(t *testing.T, c kubernetes.Interface, ns string) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		_, err = c.CoreV1().Pods(ns).Create(context.Background(), annotatedPod(), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil && strings.Contains(err.Error(), "pods.kvenv.io") {
			return
		}
	}
	t.Fatalf("an annotated pod must be refused while kvenv is down, naming the webhook pods.kvenv.io; last answer: %v", err)
}

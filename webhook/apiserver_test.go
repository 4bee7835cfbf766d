package webhook_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/kvenv/kvenv/internal/layout"
	"github.com/kvenv/kvenv/internal/testcluster"
	"github.com/kvenv/kvenv/webhook"
)

// TestOnRealAPIServer registers kvenv's MutatingWebhookConfiguration from
// manifests/ with a real kube-apiserver and creates pods through the API, as
// users and controllers do.
func TestOnRealAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a real kube-apiserver; run without -short")
	}
	mwc := loadWebhookConfiguration(t, "../manifests/kvenv.yaml")
	api := testcluster.StartAPIServer(t, mwc)
	image, resolver := imageWithEntrypoint(t, []string{"/app", "--serve"}, []string{"--port=8080"})
	stop := startWebhook(t, api, resolver)
	ctx := context.Background()
	c := api.Client

	optedIn := createNamespace(t, c, "apps", map[string]string{webhook.NamespaceLabel: "enabled"})
	plain := createNamespace(t, c, "plain", nil)
	restricted := createNamespace(t, c, "restricted", map[string]string{
		webhook.NamespaceLabel:               "enabled",
		"pod-security.kubernetes.io/enforce": "restricted",
	})

	t.Run("an opted-in namespace mutates", func(t *testing.T) {
		pod := createPod(t, c, optedIn, annotatedPod("app"))
		assertInjected(t, pod)
	})
	t.Run("a namespace that has not opted in is untouched", func(t *testing.T) {
		pod := createPod(t, c, plain, annotatedPod("app"))
		if len(pod.Spec.InitContainers) != 0 || pod.Annotations[webhook.AnnotationStatus] != "" {
			t.Fatalf("pod in an unlabelled namespace was mutated: %+v", pod.Spec.InitContainers)
		}
	})
	t.Run("the seed's Deployment pod template is accepted and mutated", func(t *testing.T) {
		// Without a controller-manager, create the pod the ReplicaSet controller
		// would: from the template, with generateName and no namespace set.
		tmpl := seedDeployment(t).Spec.Template
		pod := &corev1.Pod{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}
		pod.GenerateName = "sampleapp-"
		pod.Spec.Containers[0].Command = []string{"java", "-jar", "/app.jar"}
		got := createPod(t, c, optedIn, pod)
		assertInjected(t, got)
		for _, v := range []string{"SPRING_DATASOURCE_URL", "SPRING_DATASOURCE_USERNAME", "SPRING_DATASOURCE_PASSWORD"} {
			if !strings.Contains(strings.Join(got.Spec.InitContainers[0].Args, " "), v+"=https://myvault.vault.azure.net/secrets/") {
				t.Errorf("init container args lack a reference for %s: %q", v, got.Spec.InitContainers[0].Args)
			}
		}
	})
	t.Run("a pod without command gets its image entrypoint behind the wrapper", func(t *testing.T) {
		pod := annotatedPod("app")
		pod.Spec.Containers[0].Image, pod.Spec.Containers[0].Command = image, nil
		got := createPod(t, c, optedIn, pod)
		assertInjected(t, got)
		want := []string{layout.ExecPath, "--", "/app", "--serve"}
		if !slices.Equal(got.Spec.Containers[0].Command, want) || !slices.Equal(got.Spec.Containers[0].Args, []string{"--port=8080"}) {
			t.Fatalf("command %q args %q, want %q and the image CMD", got.Spec.Containers[0].Command, got.Spec.Containers[0].Args, want)
		}
	})
	t.Run("a namespace enforcing PSA restricted accepts the mutated pod", func(t *testing.T) {
		pod := annotatedPod("app")
		restrictPod(pod)
		got := createPod(t, c, restricted, pod)
		assertInjected(t, got)
	})
	t.Run("a bad annotation is denied with its message", func(t *testing.T) {
		pod := annotatedPod("app")
		pod.Annotations["kvenv.io/evn.PASSWORD"] = "DatasourcePassword"
		_, err := c.CoreV1().Pods(optedIn).Create(ctx, pod, metav1.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), "kvenv.io/evn.PASSWORD") {
			t.Fatalf("want a denial naming kvenv.io/evn.PASSWORD, got %v", err)
		}
	})
	t.Run("with the webhook stopped", func(t *testing.T) {
		stop()
		plainPod := annotatedPod("app")
		plainPod.Annotations = nil
		if _, err := c.CoreV1().Pods(optedIn).Create(ctx, plainPod, metav1.CreateOptions{}); err != nil {
			t.Fatalf("an unannotated pod must still be created while kvenv is down: %v", err)
		}
		_, err := c.CoreV1().Pods(optedIn).Create(ctx, annotatedPod("app"), metav1.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), "pods.kvenv.io") {
			t.Fatalf("an annotated pod must be refused while kvenv is down, naming the webhook; got %v", err)
		}
	})
}

func loadWebhookConfiguration(t *testing.T, path string) *admissionv1.MutatingWebhookConfiguration {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	for {
		doc, err := docs.Read()
		if err != nil {
			t.Fatalf("no MutatingWebhookConfiguration in %s: %v", path, err)
		}
		var meta metav1.TypeMeta
		if yaml.Unmarshal(doc, &meta) == nil && meta.Kind == "MutatingWebhookConfiguration" {
			mwc := &admissionv1.MutatingWebhookConfiguration{}
			if err := yaml.UnmarshalStrict(doc, mwc); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return mwc
		}
	}
}

// startWebhook runs kvenv's webhook server in-process on the address the API
// server was pointed at; the returned func stops it and waits until it is gone.
func startWebhook(t *testing.T, api *testcluster.APIServer, images webhook.ImageResolver) (stop func()) {
	t.Helper()
	opts := serverOptions(api, api.Webhook.LocalServingHost, api.Webhook.LocalServingPort)
	opts.Images = images
	_, stop = startManager(t, api, opts, shutdown{within: 30 * time.Second})
	return stop
}

// serverOptions are a webhook process's options in these tests: the test
// injector image, the certificate the API server trusts, no metrics or probe
// listener, and a metrics registry of its own.
func serverOptions(api *testcluster.APIServer, host string, port int) webhook.ServerOptions {
	cfg := webhook.DefaultConfig()
	cfg.InjectorImage = "registry.example/kvenv:test"
	return webhook.ServerOptions{
		Host: host, Port: port, CertDir: api.Webhook.LocalServingCertDir,
		MetricsAddr: "0", ProbeAddr: "0", Config: cfg, Registerer: prometheus.NewRegistry(),
	}
}

// startManager runs kvenv's manager with opts in-process and returns once it
// serves TLS on its address. stop cancels it and waits as s says, once only;
// the test's cleanup stops it too.
func startManager(t *testing.T, api *testcluster.APIServer, opts webhook.ServerOptions, s shutdown) (addr string, stop func()) {
	t.Helper()
	mgr, err := webhook.NewManager(api.Config, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); waitStopped(t, done, s) }) }
	t.Cleanup(stop)
	addr = net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port))
	waitForTLS(t, addr)
	return addr, stop
}

// shutdown is what a test accepts of a webhook manager it stops: that
// Start returns within `within`, with no error (or context.Canceled, if
// canceledIsClean).
type shutdown struct {
	within          time.Duration
	canceledIsClean bool
}

func waitStopped(t *testing.T, done <-chan error, s shutdown) {
	select {
	case err := <-done:
		if err != nil && !(s.canceledIsClean && errors.Is(err, context.Canceled)) {
			t.Errorf("webhook manager: %v", err)
		}
	case <-time.After(s.within):
		t.Errorf("webhook manager did not stop within %ds", int(s.within/time.Second))
	}
}

func waitForTLS(t *testing.T, addr string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) // only probing that it serves
		if err == nil {
			conn.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("webhook did not serve TLS on %s within 10s", addr)
}

func createNamespace(t *testing.T, c kubernetes.Interface, name string, labels map[string]string) string {
	t.Helper()
	return createNamespaceWith(t, c, name, labels, nil)
}

func createPod(t *testing.T, c kubernetes.Interface, ns string, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	got, err := c.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating pod in %s: %v", ns, err)
	}
	return got
}

func annotatedPod(container string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "kvenv-test-", Annotations: map[string]string{
			webhook.AnnotationVault:                     "myvault",
			webhook.AnnotationEnvPrefix + "DB_PASSWORD": "DatasourcePassword",
		}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: container, Image: "registry.example/app:1", Command: []string{"/app", "--serve"},
		}}},
	}
}

func restrictPod(pod *corev1.Pod) {
	f, t := false, true
	uid := int64(1000)
	pod.Spec.SecurityContext = &corev1.PodSecurityContext{
		RunAsNonRoot: &t, RunAsUser: &uid,
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	for i := range pod.Spec.Containers {
		pod.Spec.Containers[i].SecurityContext = &corev1.SecurityContext{
			AllowPrivilegeEscalation: &f,
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		}
	}
}

func assertInjected(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	if pod.Annotations[webhook.AnnotationStatus] != webhook.StatusInjected {
		t.Fatalf("pod lacks %s=%s: %v", webhook.AnnotationStatus, webhook.StatusInjected, pod.Annotations)
	}
	if len(pod.Spec.InitContainers) == 0 || pod.Spec.InitContainers[0].Name != layout.InitContainerName {
		t.Fatalf("first init container is not %s: %+v", layout.InitContainerName, pod.Spec.InitContainers)
	}
	if got := pod.Spec.Containers[0].Command; len(got) == 0 || got[0] != layout.ExecPath {
		t.Fatalf("app command is not wrapped by %s: %q", layout.ExecPath, got)
	}
}

func seedDeployment(t *testing.T) *appsv1.Deployment {
	t.Helper()
	raw, err := os.ReadFile("testdata/mutate/spring-boot-deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := &appsv1.Deployment{}
	if err := yaml.Unmarshal(stripComments(raw), d); err != nil {
		t.Fatal(err)
	}
	return d
}

func stripComments(raw []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(raw, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			out.Write(line)
		}
	}
	return out.Bytes()
}

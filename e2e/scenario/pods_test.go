package scenario

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kvenv/kvenv/e2e/sampleapp/todo"
	"github.com/kvenv/kvenv/internal/layout"
	"github.com/kvenv/kvenv/internal/leakcheck"
)

// hashScript prints the SHA-256 of a variable's value, not the value: the
// test compares it with the hash of what it put in the vault.
func hashScript(env string) string {
	return fmt.Sprintf(`printf %%s "$%s" | sha256sum`, env)
}

func sha256Hex(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// testShellForm: a shell-form command (sh -c) sees the variable, byte for
// byte, without printing it.
func testShellForm(t *testing.T, s *Scenario) {
	pod := runPod(t, s, shellPod(s, "shell-form", hashScript(todo.EnvUsername)), succeeded)
	log := podLogs(t, s, pod, "shell", false)
	if want := sha256Hex(s.Credentials().Username); !strings.HasPrefix(log, want) {
		t.Errorf("sha256 of $%s in the shell: %q, want %s", todo.EnvUsername, log, want)
	}
	leakcheck.Check(t, "the shell pod's log", log, s.Values()...)
}

// testJob: a Job's pod is wrapped too and completes; its shell gets the
// password, with its quote, dollar and backslash, intact.
func testJob(t *testing.T, s *Scenario) {
	tmpl := shellPod(s, "job", hashScript(todo.EnvPassword))
	tmpl.Name = ""
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "tutorial-job", Namespace: AppNamespace},
		Spec: batchv1.JobSpec{BackoffLimit: ptr.To(int32(0)),
			Template: corev1.PodTemplateSpec{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}},
	}
	if _, err := s.Cluster.Client.BatchV1().Jobs(AppNamespace).Create(apiCtx(t), job, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := Poll("Job "+job.Name+" complete", podTimeout, func(ctx context.Context) error {
		j, err := s.Cluster.Client.BatchV1().Jobs(AppNamespace).Get(ctx, job.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if j.Status.Succeeded < 1 {
			return fmt.Errorf("succeeded %d, failed %d", j.Status.Succeeded, j.Status.Failed)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%v%s", err, s.DescribePods(AppNamespace))
	}
	pods, err := s.Cluster.Client.CoreV1().Pods(AppNamespace).List(apiCtx(t), metav1.ListOptions{LabelSelector: "job-name=" + job.Name})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("pods of the Job: %v (error %v)", pods, err)
	}
	pod := &pods.Items[0]
	if cmd := pod.Spec.Containers[0].Command; len(cmd) == 0 || cmd[0] != layout.ExecPath {
		t.Errorf("the Job's container runs %q, not the wrapper %s", cmd, layout.ExecPath)
	}
	if log := podLogs(t, s, pod, "shell", false); !strings.HasPrefix(log, sha256Hex(s.Credentials().Password)) {
		t.Errorf("sha256 of $%s in the Job: %q, want %s", todo.EnvPassword, log, sha256Hex(s.Credentials().Password))
	}
}

// testForbidden: a pod whose service account is federated with an identity
// that may not read the vault gets a failing kvenv-init that says 403 and
// what to do, and its app never starts.
func testForbidden(t *testing.T, s *Scenario) {
	before := s.Azure.Vault.Counts().Forbidden
	tmpl := s.PodTemplate("intruder", IntruderServiceAccount, s.IntruderClientID, s.appContainer())
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	pod := runPod(t, s, &corev1.Pod{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}, func(p *corev1.Pod) (bool, error) {
		return p.Status.Phase == corev1.PodFailed, nil
	})
	log := podLogs(t, s, pod, layout.InitContainerName, false)
	for _, want := range []string{"403", "Key Vault Secrets User", s.IntruderClientID} {
		if !strings.Contains(log, want) {
			t.Errorf("kvenv-init's log lacks %q:\n%s", want, log)
		}
	}
	if app, _ := containerStatus(pod, AppName); app.State.Running != nil || (app.State.Terminated != nil && !app.State.Terminated.StartedAt.IsZero()) {
		t.Errorf("the app started although kvenv-init failed: %+v", app.State)
	}
	if s.Azure.Vault.Counts().Forbidden == before {
		t.Error("the vault refused nothing: the 403 did not come from its access rules")
	}
	leakcheck.Check(t, "kvenv-init's log", log, s.Values()...)
}

// testUntouchedNamespace: a namespace without the kvenv.io/injection label
// is not sent to kvenv; its annotated pod runs as written.
func testUntouchedNamespace(t *testing.T, s *Scenario) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "not-opted-in"}}
	if _, err := s.Cluster.Client.CoreV1().Namespaces().Create(apiCtx(t), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := shellPod(s, "annotated", `test -z "$SPRING_DATASOURCE_URL"`)
	pod.Namespace = ns.Name
	pod.Spec.ServiceAccountName = ""
	got := runPod(t, s, pod, succeeded)
	if len(got.Spec.InitContainers) > 0 || got.Annotations["kvenv.io/status"] != "" {
		t.Errorf("kvenv changed a pod of a namespace without the label: init containers %v, annotations %v",
			got.Spec.InitContainers, got.Annotations)
	}
	if cmd := got.Spec.Containers[0].Command; cmd[0] != "sh" {
		t.Errorf("the container's command became %q", cmd)
	}
}

package scenario

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// testScansFindCanary is the negative control of every leak scan: a
// throw-away value (no credential) is leaked on purpose the ways a careless
// setup would, in a Secret and in a container's log, and each scan must
// find it in its medium: etcd, the API objects, the logs and the disk
// (etcd's files and the kubelet's log files). A scan that finds nothing
// here would have proved nothing before.
func testScansFindCanary(t *testing.T, s *Scenario) {
	canary := "kvenv-canary-" + randomHex(12)
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "canary", Namespace: "default"},
		Data:       map[string][]byte{"value": []byte(canary)},
	}
	if _, err := s.Cluster.Client.CoreV1().Secrets("default").Create(apiCtx(t), secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	runPod(t, s, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "canary-logger", Namespace: "default"},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{
			Name: "logger", Image: s.Cluster.Images.Busybox, Command: []string{"echo", canary},
		}}},
	}, succeeded)
	match := needlesFor(map[string]string{"canary": canary})
	for _, src := range leakSources {
		t.Run(src.name, func(t *testing.T) {
			r := src.scan(t, s, match)
			for _, names := range r.found {
				for _, n := range names {
					if n == "canary" {
						return
					}
				}
			}
			t.Errorf("%s: the planted canary was not found among %d sources read", src.name, r.read)
		})
	}
}

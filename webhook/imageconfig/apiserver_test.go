package imageconfig

import (
	"context"
	"testing"

	"github.com/kvenv/kvenv/internal/testcluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// apiSecrets reads pull secrets from a real API server, the way the
// admission handler's SecretReader does.
type apiSecrets struct{ client kubernetes.Interface }

func (a apiSecrets) Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	return a.client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (a apiSecrets) ServiceAccountPullSecrets(ctx context.Context, namespace, name string) ([]string, error) {
	sa, err := a.client.CoreV1().ServiceAccounts(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, ref := range sa.ImagePullSecrets {
		names = append(names, ref.Name)
	}
	return names, nil
}

// Pull secrets as the API server stores them: the pod names a missing one
// and an Opaque one, its service account names the one that works.
func TestPullSecretsFromTheAPIServer(t *testing.T) {
	api := testcluster.StartAPIServer(t)
	reg := startRegistry(t, authBearer)
	reg.users["robot"] = "robot-pass"
	reg.push(t, "private/app:1", testImage(t, "linux", "amd64", []string{"/from-api"}, nil))
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}
	opaque := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "opaque"}, StringData: map[string]string{"k": "v"}}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "builder"},
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "robot"}}}
	must(t)(api.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}))
	must(t)(api.Client.CoreV1().Secrets("team-a").Create(ctx, opaque, metav1.CreateOptions{}))
	must(t)(api.Client.CoreV1().Secrets("team-a").Create(ctx, dockerConfigSecret("team-a", "robot", reg.host, "robot", "robot-pass"),
		metav1.CreateOptions{}))
	must(t)(api.Client.CoreV1().ServiceAccounts("team-a").Create(ctx, sa, metav1.CreateOptions{}))
	r, _ := newResolver(t, Options{Secrets: apiSecrets{api.Client}}, reg)

	req := imageRequest(reg.host + "/private/app:1")
	req.PullSecrets = []string{"gone", "opaque"}
	if got := mustResolve(t, r, req); got.Entrypoint[0] != "/from-api" {
		t.Fatalf("entrypoint %q", got.Entrypoint)
	}
}

// must fails t on a create's error.
func must(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

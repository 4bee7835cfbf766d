package webhook_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/kvenv/kvenv/internal/testcluster"
	"github.com/kvenv/kvenv/webhook"
)

// webhookUser is the identity the webhook runs as here: at first it may do
// nothing, as a ServiceAccount whose ClusterRole binding drifted away.
const webhookUser = "system:serviceaccount:kvenv:kvenv"

// TestNamespaceReadsWithoutTheRights runs the webhook as an identity that
// may not list namespaces: it must not report ready, an admission must end
// with kvenv's message naming the missing rights within
// NamespaceLookupTimeout (not the API server's timeout), it must still stop
// when told to, and once the rights are granted it becomes ready and mutates.
func TestNamespaceReadsWithoutTheRights(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a real kube-apiserver; run without -short")
	}
	api := testcluster.StartAPIServer(t, loadWebhookConfiguration(t, "../manifests/kvenv.yaml"))
	opts := serverOptions(api, api.Webhook.LocalServingHost, api.Webhook.LocalServingPort)
	opts.ProbeAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(testcluster.FreeLoopbackPort(t)))
	startManagerAs(t, impersonating(api.Config, webhookUser), opts)
	apps := createNamespace(t, api.Client, "apps", map[string]string{webhook.NamespaceLabel: "enabled"})

	t.Run("not ready while the namespaces cannot be read", func(t *testing.T) {
		// The webhook check passes already (TLS is served); the
		// namespace cache must keep /readyz failing, for good.
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if code, _ := probe(t, opts.ProbeAddr, "/readyz"); code == http.StatusOK {
				t.Fatal("/readyz passes before the namespaces are cached")
			}
		}
		_, why := probe(t, opts.ProbeAddr, "/readyz/namespaces")
		if !strings.Contains(why, "list and watch on namespaces") {
			t.Fatalf("/readyz/namespaces must name the rights kvenv lacks: %q", why)
		}
	})
	t.Run("an admission ends with kvenv's message within the bound", func(t *testing.T) {
		start := time.Now()
		_, err := api.Client.CoreV1().Pods(apps).Create(context.Background(), annotatedPod("app"), metav1.CreateOptions{})
		took := time.Since(start)
		if err == nil {
			t.Fatal("a pod was admitted although its namespace could not be read")
		}
		for _, want := range []string{`namespace "apps"`, "get, list and watch on namespaces", "not read within " + webhook.NamespaceLookupTimeout.String()} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the refusal lacks %q: %v", want, err)
			}
		}
		// Well inside the manifest's timeoutSeconds (10s).
		if took > webhook.NamespaceLookupTimeout+3*time.Second {
			t.Errorf("the refusal took %s; the namespace read is bounded by %s", took, webhook.NamespaceLookupTimeout)
		}
	})
	t.Run("a replica that never read the namespaces still stops", func(t *testing.T) {
		// An informer the manager knew of before it started would hold up
		// its start, and with it its stop, until the namespaces were read.
		other := serverOptions(api, "127.0.0.1", testcluster.FreeLoopbackPort(t))
		mgr, err := webhook.NewManager(impersonating(api.Config, webhookUser), other)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- mgr.Start(ctx) }()
		waitForTLS(t, net.JoinHostPort(other.Host, strconv.Itoa(other.Port)))
		cancel()
		waitStopped(t, done, shutdown{within: 10 * time.Second})
	})
	t.Run("ready and mutating once the rights are granted", func(t *testing.T) {
		grantNamespaceReads(t, api, webhookUser)
		// The informer retries its list with a back-off of up to 30s.
		var code int
		for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if code, _ = probe(t, opts.ProbeAddr, "/readyz"); code == http.StatusOK {
				break
			}
		}
		if code != http.StatusOK {
			t.Fatalf("/readyz still answers %d 90s after the rights were granted", code)
		}
		assertInjected(t, createPod(t, api.Client, apps, annotatedPod("app")))
	})
}

// startManagerAs runs kvenv's manager with rc's identity until the test
// ends, and returns once it serves TLS.
func startManagerAs(t *testing.T, rc *rest.Config, opts webhook.ServerOptions) {
	t.Helper()
	mgr, err := webhook.NewManager(rc, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() { cancel(); waitStopped(t, done, shutdown{within: 30 * time.Second}) })
	waitForTLS(t, net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port)))
}

func impersonating(cfg *rest.Config, user string) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:authenticated"}}
	return c
}

// grantNamespaceReads gives user the namespace rights the chart's
// ClusterRole gives kvenv's ServiceAccount.
func grantNamespaceReads(t *testing.T, api *testcluster.APIServer, user string) {
	t.Helper()
	ctx := context.Background()
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "kvenv-read-namespaces"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list", "watch"}}},
	}
	if _, err := api.Client.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	if _, err := api.Client.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// probe GETs a health endpoint and returns its status and body.
func probe(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

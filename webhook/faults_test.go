package webhook_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kvenv/kvenv/internal/testcluster"
	"github.com/kvenv/kvenv/webhook"
)

// replicaSet is kvenv's Deployment as the API server sees it: the webhook
// configuration of manifests/ (failurePolicy Fail, matchConditions), a
// Service (the balancer) and two replicas, each a whole webhook process.
//
// What models what: a replica's graceful stop is the SIGTERM kubelet sends on
// a rollout, scale-down or node drain (in-flight admissions complete, HTTP/2
// connections get GOAWAY); the balancer's retry of a refused connect on the
// other replica is kube-proxy once the endpoint is removed; a reset with no
// replica left is a Service without endpoints.
type replicaSet struct {
	t        *testing.T // the whole test's: replicas outlive the subtest that starts them
	api      *testcluster.APIServer
	lb       *balancer
	replicas map[string]*replica // by address
}

func startReplicaSet(t *testing.T) *replicaSet {
	t.Helper()
	api := testcluster.StartAPIServer(t, loadWebhookConfiguration(t, "../manifests/kvenv.yaml"))
	rs := &replicaSet{t: t, api: api, replicas: map[string]*replica{}}
	rs.lb = startBalancer(t, net.JoinHostPort(api.Webhook.LocalServingHost, strconv.Itoa(api.Webhook.LocalServingPort)))
	for range 2 {
		r := startReplica(t, api, testcluster.FreeLoopbackPort(t), nil)
		rs.replicas[r.addr] = r
	}
	rs.lb.setBackends(rs.addrs()...)
	return rs
}

func (rs *replicaSet) addrs() []string {
	var out []string
	for a := range rs.replicas {
		out = append(out, a)
	}
	return out
}

// stopServing stops the replica the API server is talking to now.
func (rs *replicaSet) stopServing(t *testing.T) string {
	t.Helper()
	addr := rs.lb.busiest()
	if rs.replicas[addr] == nil {
		t.Fatalf("no replica holds the API server's connections (busiest %q)", addr)
	}
	rs.replicas[addr].stop()
	return addr
}

// other is the address of the replica that is not addr.
func other(rs *replicaSet, addr string) string {
	for a := range rs.replicas {
		if a != addr {
			return a
		}
	}
	return ""
}

// streamWorkers is how many pod creations are in flight at once.
const streamWorkers = 3

// quietClient talks to the API server without logging the warnings of the
// thousands of pods the streams create.
func quietClient(t *testing.T, api *testcluster.APIServer) kubernetes.Interface {
	t.Helper()
	return clientWithWarnings(api, rest.NoWarnings{})
}

func (rs *replicaSet) restart(t *testing.T, addr string) {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	rs.replicas[addr] = startReplica(rs.t, rs.api, p, nil)
	rs.lb.setBackends(rs.addrs()...) // its endpoint is back, crashed or not
}

// TestReplicasOnRealAPIServer: a replica stopped under a steady stream of
// pod creations loses no admission; a restarted replica serves with no
// manual step; with every replica down, annotated pods are refused with the
// API server's error naming kvenv's webhook while other pods are created.
func TestReplicasOnRealAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a real kube-apiserver; run without -short")
	}
	rs := startReplicaSet(t)
	c := quietClient(t, rs.api)
	ns := createNamespace(t, c, "load", map[string]string{webhook.NamespaceLabel: webhook.NamespaceLabelEnabled})
	var stopped string

	t.Run("stopping the serving replica under load loses no admission", func(t *testing.T) {
		s := startStream(t, c, ns, streamWorkers, 2000)
		s.waitFor(t, 15)
		stopped = rs.stopServing(t)
		s.waitFor(t, 30)
		n, faults := s.finish()
		if len(faults) > 0 {
			t.Fatalf("%d admissions lost of %d: %v", len(faults), n+int64(len(faults)), firstFew(faults))
		}
		if now := rs.lb.busiest(); now == stopped || now == "" {
			t.Errorf("the API server is not talking to the other replica (busiest %q)", now)
		}
		t.Logf("%d pods created and mutated across the stop of %s", n, stopped)
	})
	t.Run("a restarted replica takes over with no manual step", func(t *testing.T) {
		rs.restart(t, stopped)
		s := startStream(t, c, ns, streamWorkers, 2000)
		s.waitFor(t, 10)
		other := rs.stopServing(t) // the replica that served alone
		s.waitFor(t, 20)
		n, faults := s.finish()
		if len(faults) > 0 || other == stopped {
			t.Fatalf("faults %v; stopped %s, want the restarted %s left serving", firstFew(faults), other, stopped)
		}
		if rs.lb.busiest() != stopped {
			t.Errorf("the restarted replica %s does not serve (busiest %q)", stopped, rs.lb.busiest())
		}
		t.Logf("%d pods created and mutated across the handover to the restarted replica", n)
	})
	t.Run("a crashed replica fails at most the admissions in flight", func(t *testing.T) {
		rs.restart(t, other(rs, stopped))
		s := startStream(t, c, ns, streamWorkers, 2000)
		s.waitFor(t, 10)
		crashed := rs.lb.busiest()
		rs.lb.crash(crashed)
		s.waitFor(t, 20)
		n, faults := s.finish()
		if len(faults) > streamWorkers {
			t.Fatalf("%d admissions failed, more than the %d that can be in flight: %v", len(faults), streamWorkers, firstFew(faults))
		}
		t.Logf("crash of %s: %d admissions failed (in flight), %d succeeded; the failures: %v", crashed, len(faults), n, faults)
	})
	t.Run("with every replica down annotated pods are refused, others created", func(t *testing.T) {
		for _, r := range rs.replicas {
			r.stop()
		}
		refusedWhileDown(t, c, ns)
	})
	t.Run("after a full outage the first replica back serves at once", func(t *testing.T) {
		rs.restart(t, stopped)
		s := startStream(t, c, ns, 2, 20)
		s.waitFor(t, 20)
		if _, faults := s.finish(); len(faults) > 0 {
			t.Fatalf("admissions failed after the restart: %v", firstFew(faults))
		}
	})
}

func refusedWhileDown(t *testing.T, c kubernetes.Interface, ns string) {
	ctx := context.Background()
	_, err := c.CoreV1().Pods(ns).Create(ctx, annotatedPod("app"), metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), `failed calling webhook "pods.kvenv.io"`) {
		t.Fatalf("an annotated pod while kvenv is down: got %v, want the API server's refusal naming pods.kvenv.io", err)
	}
	t.Logf("the API server says: %v", err)
	plain := annotatedPod("app")
	plain.Annotations = map[string]string{"team": "a"}
	got, err := c.CoreV1().Pods(ns).Create(ctx, plain, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("a pod without kvenv.io/ annotations must not need kvenv (matchConditions): %v", err)
	}
	if len(got.Spec.InitContainers) != 0 {
		t.Error("an unannotated pod was mutated")
	}
}

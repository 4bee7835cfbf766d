package loadgen

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
)

// fakeWebhook is an HTTPS server on loopback that answers like a webhook:
// it decodes each review, checks the pod, and allows it with a patch.
type fakeWebhook struct {
	*httptest.Server
	mu      sync.Mutex
	conns   int             // connections opened
	uids    map[string]bool // uids seen
	protos  map[string]bool
	badPods []string
}

func startFakeWebhook(t *testing.T, deny bool) *fakeWebhook {
	f := &fakeWebhook{uids: map[string]bool{}, protos: map[string]bool{}}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.serve(w, r, deny)
	}))
	f.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.mu.Lock()
			f.conns++
			f.mu.Unlock()
		}
	}
	f.EnableHTTP2 = true // the client must still choose HTTP/1.1
	f.StartTLS()
	t.Cleanup(f.Close)
	return f
}

func (f *fakeWebhook) serve(w http.ResponseWriter, r *http.Request, deny bool) {
	var ar admissionv1.AdmissionReview
	if err := json.NewDecoder(r.Body).Decode(&ar); err != nil || ar.Request == nil {
		http.Error(w, "not a review", http.StatusBadRequest)
		return
	}
	var pod corev1.Pod
	_ = json.Unmarshal(ar.Request.Object.Raw, &pod)
	f.mu.Lock()
	f.uids[string(ar.Request.UID)] = true
	f.protos[r.Proto] = true
	if len(pod.Spec.Containers) != 1 || len(pod.Spec.Containers[0].Command) == 0 || len(pod.Annotations) != 4 {
		f.badPods = append(f.badPods, pod.Name)
	}
	f.mu.Unlock()
	resp := &admissionv1.AdmissionResponse{UID: ar.Request.UID, Allowed: !deny, Patch: []byte(`[{"op":"add"}]`)}
	json.NewEncoder(w).Encode(admissionv1.AdmissionReview{TypeMeta: ar.TypeMeta, Response: resp})
}

func (f *fakeWebhook) options(rate float64, requests int) Options {
	roots := x509.NewCertPool()
	roots.AddCert(f.Certificate())
	return Options{Target: f.URL + "/mutate-v1-pod", Rate: rate, Requests: requests, Duration: 20 * time.Second,
		TLS: &tls.Config{RootCAs: roots}}
}

func TestOpenLoopRunOverFourKeepAliveConnections(t *testing.T) {
	f := startFakeWebhook(t, false)
	r, err := Run(context.Background(), f.options(2000, 60))
	if err != nil {
		t.Fatal(err)
	}
	if r.Sent != 60 || r.OK != 60 || r.Failed() != 0 {
		t.Fatalf("report %+v", r)
	}
	if r.Latency.P50 <= 0 || r.Latency.P999 < r.Latency.P50 || r.Throughput <= 0 || !strings.Contains(r.Mode, "2000 req/s") {
		t.Errorf("report %+v", r)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conns != DefaultConnections {
		t.Errorf("%d connections opened, want %d kept alive", f.conns, DefaultConnections)
	}
	if len(f.uids) != 60+DefaultConnections { // the warm-up requests too
		t.Errorf("%d distinct uids for %d requests", len(f.uids), 60+DefaultConnections)
	}
	if len(f.protos) != 1 || !f.protos["HTTP/1.1"] {
		t.Errorf("protocols used: %v, want HTTP/1.1 only", f.protos)
	}
	if len(f.badPods) > 0 {
		t.Errorf("pods not of the typical shape: %v", f.badPods)
	}
}

func TestSaturationRunSendsExactlyTheRequestBound(t *testing.T) {
	f := startFakeWebhook(t, false)
	o := f.options(0, 25)
	o.Connections = 2
	r, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sent != 25 || r.OK != 25 || r.Mode != "saturation" || r.Connections != 2 {
		t.Fatalf("report %+v", r)
	}
}

func TestDeniedAnswersFailTheWarmUpWithTheReason(t *testing.T) {
	f := startFakeWebhook(t, true)
	_, err := Run(context.Background(), f.options(100, 5))
	if err == nil || !strings.Contains(err.Error(), "denied") {
		t.Fatalf("Run = %v, want the denial", err)
	}
}

func TestUntrustedCertificateFailsTheWarmUp(t *testing.T) {
	f := startFakeWebhook(t, false)
	o := f.options(100, 5)
	o.TLS = nil // system roots: the test server's certificate is not among them
	_, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Run = %v, want a certificate error", err)
	}
}

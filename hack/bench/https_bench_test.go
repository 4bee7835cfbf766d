package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kvenv/kvenv/cmd/kvenv-loadgen/loadgen"
	"github.com/kvenv/kvenv/internal/testcluster"
	"github.com/kvenv/kvenv/webhook"
)

// benchSeconds bounds each load phase (KVENV_BENCH_SECONDS, default 10):
// at 100 req/s that is 1,000 samples, enough for a p99.9 that is not the
// maximum only at 500 req/s and above.
func benchSeconds() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("KVENV_BENCH_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 10 * time.Second
}

// BenchmarkHTTPSAdmission drives the real webhook server (its own process,
// pinned to CPU 0, talking to a real kube-apiserver for its namespace
// cache) with kvenv-loadgen from CPU 1: HTTP/1.1 keep-alive on 4
// connections, the typical pod (one container, command set, 3 refs), at
// fixed offered rates and at saturation. Each sub-benchmark is one run;
// ns/op is the mean latency, peak-RSS-MiB the server's high-water mark
// so far, and server-cpu-µs/req its CPU time per answer in the phase.
func BenchmarkHTTPSAdmission(b *testing.B) {
	startWebhookEnv(b).runPhases(b)
}

// BenchmarkHTTPSCeiling is the same harness against a TLS endpoint that
// does nothing: the most throughput the load generator and loopback TLS
// can show, and the least latency (the floor under every webhook figure).
func BenchmarkHTTPSCeiling(b *testing.B) {
	startNothingEnv(b).runPhases(b)
}

func (e *webhookEnv) runPhases(b *testing.B) { runPhases(b, e.pin, e.load) }

// phaseRates are the offered rates of the load phases; 0 is saturation.
var phaseRates = []float64{100, 500, 1000, 0}

// runPhases runs the fixed offered rates, then saturation, one
// sub-benchmark each, every one under the same pinning.
func runPhases(b *testing.B, pin pinning, load func(b *testing.B, rate float64)) {
	for _, rate := range phaseRates {
		b.Run(phaseName(rate), func(b *testing.B) { pin.inPhase(func() { load(b, rate) }) })
	}
}

// failureSummary counts failures against every request handed out,
// dropped ones included, since those failed too.
func failureSummary(r loadgen.Report) string {
	return fmt.Sprintf("%d of %d requests failed (%d sent, %d dropped unsent): %v (first: %s)",
		r.Failed(), r.HandedOut(), r.Sent, r.Dropped, r.Failures, r.FirstError)
}

func phaseName(rate float64) string {
	if rate == 0 {
		return "saturation"
	}
	return fmt.Sprintf("rate=%g", rate)
}

type webhookEnv struct {
	pin       pinning
	server    *serverProcess
	pprofAddr string // "" when the server serves no profiles
	target    string
	roots     *x509.CertPool
	expect    string // what every answer must be (loadgen.ExpectPatch, ExpectOK)
}

func startWebhookEnv(b *testing.B) *webhookEnv {
	bin := serverBinary(b)
	pin := pinIfPossible(b) // before the API server starts, so it runs on CPU 1 too
	api := testcluster.StartAPIServer(b)
	_, err := api.Client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: "apps", Labels: map[string]string{webhook.NamespaceLabel: "enabled"}}}, metav1.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	wh := api.Webhook
	port := strconv.Itoa(wh.LocalServingPort)
	pprofAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(testcluster.FreeLoopbackPort(b)))
	srv := startServer(b, pin, bin, "--kubeconfig="+api.WriteKubeconfig(b), "--cert-dir="+wh.LocalServingCertDir,
		"--host="+wh.LocalServingHost, "--port="+port, "--pprof-addr="+pprofAddr)
	env := &webhookEnv{pin: pin, server: srv, pprofAddr: pprofAddr, target: "https://" + net.JoinHostPort(wh.LocalServingHost, port) + webhook.MutatePath,
		roots: x509.NewCertPool(), expect: loadgen.ExpectPatch}
	env.roots.AppendCertsFromPEM(wh.LocalServingCAData)
	srv.waitTLS(b, net.JoinHostPort(wh.LocalServingHost, port), &tls.Config{RootCAs: env.roots})
	env.warmUp(b)
	return env
}

func startNothingEnv(b *testing.B) *webhookEnv {
	bin := serverBinary(b)
	pin := pinIfPossible(b)
	ca, certDir := selfSignedLoopback(b)
	port := testcluster.FreeLoopbackPort(b)
	srv := startServer(b, pin, bin, "--do-nothing", "--cert-dir="+certDir, "--port="+strconv.Itoa(port))
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	env := &webhookEnv{pin: pin, server: srv, target: "https://" + addr + webhook.MutatePath, roots: ca, expect: loadgen.ExpectOK}
	srv.waitTLS(b, addr, &tls.Config{RootCAs: ca})
	env.warmUp(b)
	return env
}

// warmUp runs a short saturation phase first: the informer cache fills,
// the Go runtime sizes its heap, and the first phase is not penalised.
func (e *webhookEnv) warmUp(b *testing.B) {
	o := e.options(0)
	o.Duration, o.Requests = 2*time.Second, 20_000
	var err error
	e.pin.inPhase(func() { _, err = loadgen.Run(context.Background(), o) })
	if err != nil {
		b.Fatalf("warm-up: %v\nserver log:\n%s", err, e.server.log.String())
	}
}

func (e *webhookEnv) options(rate float64) loadgen.Options {
	d := benchSeconds()
	requests := 1_000_000
	if rate > 0 {
		requests = int(rate * d.Seconds())
	}
	return loadgen.Options{Target: e.target, Rate: rate, Requests: requests, Duration: d,
		TLS: &tls.Config{RootCAs: e.roots}, Expect: e.expect, Pod: loadgen.PodShape{Namespace: "apps"}}
}

// load runs one phase and reports it. The framework calls a benchmark
// again when it ran shorter than -benchtime; a phase lasts benchSeconds,
// so keep -benchtime at or below it.
func (e *webhookEnv) load(b *testing.B, rate float64) {
	stopProfile := e.profile(b, rate)
	cpuBefore := e.server.cpuTime(b)
	r, err := loadgen.Run(context.Background(), e.options(rate))
	cpu := e.server.cpuTime(b) - cpuBefore
	stopProfile()
	if err != nil {
		b.Fatalf("%v\nserver log:\n%s", err, e.server.log.String())
	}
	if r.Failed() > 0 {
		b.Error(failureSummary(r))
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(float64(r.Latency.Mean), "ns/op")
	b.ReportMetric(r.Throughput, "req/s")
	b.ReportMetric(ms(r.Latency.P50), "p50-ms")
	b.ReportMetric(ms(r.Latency.P99), "p99-ms")
	b.ReportMetric(ms(r.Latency.P999), "p99.9-ms")
	b.ReportMetric(float64(r.Failed()), "errors")
	if rate > 0 {
		// How late the generator itself sent; large values make the phase suspect.
		b.ReportMetric(ms(r.GeneratorLag.P99), "gen-lag-p99-ms")
	}
	b.ReportMetric(e.server.peakRSS(b), "peak-RSS-MiB")
	b.ReportMetric(cpuPerAnswer(cpu, r.OK), "server-cpu-µs/req")
}

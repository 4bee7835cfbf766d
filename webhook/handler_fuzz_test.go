package webhook_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/kvenv/kvenv/webhook"
)

// maxFuzzInput caps what the fuzzer sends: the API server itself bounds a
// pod by etcd's request limit (~1.5 MiB); more only slows the fuzzer down.
const maxFuzzInput = 256 << 10

// FuzzAdmissionReview sends arbitrary bodies to the admission endpoint as the
// API server would: kvenv never panics, its answer is a bounded
// AdmissionReview, and an allowed patch applies to the pod and yields a pod.
func FuzzAdmissionReview(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	h := fuzzHandler()
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > maxFuzzInput {
			return
		}
		review := post(t, h, body)
		checkAnswer(t, body, review)
	})
}

// FuzzAdmissionPod builds well-formed reviews of one pod from fuzzed
// annotations and argv, so the fuzzer spends its time in kvenv rather than
// in JSON syntax: an allowed patch applies, and the patched pod, sent again,
// needs no patch.
func FuzzAdmissionPod(f *testing.F) {
	f.Add("kvenv.io/env.DB_PASSWORD", "DbPassword", "/app\n--serve", "", uint8(1))
	f.Add("kvenv.io/containers", "app,c1", "", "$(DB_PASSWORD)", uint8(3))
	f.Add("kvenv.io/inject", "false", "/app", "", uint8(0))
	f.Add("kvenv.io/env.X", "https://u:p@myvault.vault.azure.net/secrets/x?sig=1", "sh\n-c", "x", uint8(2))
	f.Add("kvenv.io/status", "injected", "/kvenv/bin/kvenv-exec\n--\n/app", "", uint8(1))
	h := fuzzHandler()
	f.Fuzz(func(t *testing.T, key, value, command, args string, extra uint8) {
		pod := fuzzedPod(key, value, command, args, int(extra%8))
		body := reviewOf(t, pod)
		if len(body) > maxFuzzInput {
			return
		}
		review := post(t, h, body)
		patched := checkAnswer(t, body, review)
		if patched == nil {
			return
		}
		again := post(t, h, reviewOf(t, patched))
		if !again.Response.Allowed || len(again.Response.Patch) > 0 {
			t.Fatalf("the patched pod is not converged: allowed %v, patch %s", again.Response.Allowed, again.Response.Patch)
		}
	})
}

// checkAnswer checks one answer against its request and returns the patched
// pod when kvenv mutated it.
func checkAnswer(t *testing.T, body []byte, review admissionv1.AdmissionReview) *corev1.Pod {
	t.Helper()
	resp := review.Response
	if resp == nil {
		t.Fatal("no response in the answer")
	}
	if !resp.Allowed {
		if resp.Result == nil || resp.Result.Code < 400 || resp.Result.Message == "" {
			t.Fatalf("a refusal without code and message: %+v", resp.Result)
		}
		if resp.Result.Code == http.StatusInternalServerError {
			t.Fatalf("kvenv failed inside (a panic?): %s", resp.Result.Message)
		}
		return nil
	}
	if len(resp.Patch) == 0 {
		return nil
	}
	in := decodeReview(t, body)
	if in.Request == nil {
		t.Fatal("a patch for a review without a request")
	}
	return applyPatch(t, in.Request.Object.Raw, resp.Patch)
}

// decodeReview decodes a request body as the admission endpoint does:
// Kubernetes' case-sensitive JSON into a type the scheme does not know, so
// that any kind decodes, as v1beta1 reviews must.
func decodeReview(t *testing.T, body []byte) *admissionv1.AdmissionReview {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := admissionv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	review := &anyKindReview{}
	review.SetGroupVersionKind(admissionv1.SchemeGroupVersion.WithKind("AdmissionReview"))
	if _, _, err := serializer.NewCodecFactory(scheme).UniversalDeserializer().Decode(body, nil, review); err != nil {
		t.Fatalf("a patch for a request that does not decode: %v", err)
	}
	return &review.AdmissionReview
}

type anyKindReview struct{ admissionv1.AdmissionReview }

func applyPatch(t *testing.T, original, patch []byte) *corev1.Pod {
	t.Helper()
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		t.Fatalf("the patch is not a JSON patch: %v", err)
	}
	doc, err := p.Apply(original)
	if err != nil {
		t.Fatalf("the patch does not apply to the pod it was made for: %v", err)
	}
	pod := &corev1.Pod{}
	dec := json.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(pod); err != nil {
		t.Fatalf("the patched object is not a pod: %v", err)
	}
	if pod.Annotations[webhook.AnnotationStatus] != webhook.StatusInjected {
		t.Fatalf("a patch that does not mark the pod injected: %v", pod.Annotations)
	}
	return pod
}

// post sends body as the API server does and decodes the answer, whose size
// must stay within a fixed multiple of the request's.
func post(t *testing.T, h http.Handler, body []byte) admissionv1.AdmissionReview {
	t.Helper()
	rec := serveReview(h, "application/json", body)
	if limit := answerLimit(len(body)); rec.Body.Len() > limit {
		t.Fatalf("a %d-byte request got a %d-byte answer, over %d", len(body), rec.Body.Len(), limit)
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil {
		t.Fatalf("the answer is not an AdmissionReview: %v", err)
	}
	return review
}

// answerLimit bounds an answer: kvenv adds a fixed part (init container,
// volume, up to 50 references, warnings) and, per container it wraps, a
// mount and a command, each no bigger than a few times what the container
// took in the request.
func answerLimit(request int) int { return 64<<10 + 4*request }

// fuzzHandler is kvenv's HTTP handler as the webhook server registers it.
// Its inputs never fail (static namespaces, no registry), so an answer
// with code 500 can only come from a recovered panic: checkAnswer fails on it.
func fuzzHandler() http.Handler {
	return &webhook.Handler{Config: fuzzConfig(), Namespaces: staticNamespaces{}}
}

func fuzzConfig() webhook.Config {
	cfg := webhook.DefaultConfig()
	cfg.InjectorImage = "registry.example/kvenv:fuzz"
	return cfg
}

// fuzzSeeds are reviews of pods kvenv mutates, denies and skips, plus
// broken envelopes.
func fuzzSeeds(f *testing.F) [][]byte {
	injected := podToInject(1)
	denied := fuzzedPod("kvenv.io/evn.X", "Pw", "", "", 0)
	narrowed := fuzzedPod("kvenv.io/containers", "app", "/app", "", 0)
	narrowed.Namespace = "narrow"
	skipped := fuzzedPod("kvenv.io/inject", "false", "/app", "", 0)
	seeds := [][]byte{
		reviewOf(f, injected), reviewOf(f, denied), reviewOf(f, narrowed), reviewOf(f, skipped),
		[]byte(`{}`), []byte(`{"request":{"uid":"u","object":{"kind":"Pod"}}}`), []byte(`not json`),
		[]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":null}}`),
	}
	return seeds
}

// TestAnswerSizeIsBounded: the answers that grow with the request stay
// within answerLimit, the bound the fuzz targets hold every answer to.
func TestAnswerSizeIsBounded(t *testing.T) {
	t.Parallel()
	h := fuzzHandler()
	for name, pod := range map[string]*corev1.Pod{
		"many missing containers named": manyContainers(4000, func(p *corev1.Pod) {
			var names []string
			for i := range 400 {
				names = append(names, "x"+strconv.Itoa(i))
			}
			p.Annotations[webhook.AnnotationContainers] = strings.Join(names, ",")
		}),
		"every reference expanded in every container": manyContainers(500, func(p *corev1.Pod) {
			var expand []string
			for i := range 49 {
				v := "V" + strconv.Itoa(i)
				p.Annotations[webhook.AnnotationEnvPrefix+v] = "S" + strconv.Itoa(i)
				expand = append(expand, "$("+v+")")
			}
			for i := range p.Spec.Containers {
				p.Spec.Containers[i].Args = []string{strings.Join(expand, "")}
			}
		}),
	} {
		body := reviewOf(t, pod)
		rec := serveReview(h, "application/json", body)
		if rec.Body.Len() > answerLimit(len(body)) {
			t.Errorf("%s: a %d-byte request got a %d-byte answer, over %d", name, len(body), rec.Body.Len(), answerLimit(len(body)))
		}
	}
}

func manyContainers(n int, edit func(*corev1.Pod)) *corev1.Pod {
	pod := podToInject(0)
	for i := range n {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "c" + strconv.Itoa(i), Image: "i", Command: []string{"/c"}})
	}
	edit(pod)
	return pod
}

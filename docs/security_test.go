package docs

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kvenv/kvenv/webhook"
)

const security = "security.md"

var testName = regexp.MustCompile(`\b(?:Test|Fuzz)[A-Z][A-Za-z0-9_]*`)

// TestSecurityPageCitesTestsThatExist: the page backs its claims with test
// names; each must be a test or fuzz function of the repository.
func TestSecurityPageCitesTestsThatExist(t *testing.T) {
	page, err := os.ReadFile(security)
	if err != nil {
		t.Fatal(err)
	}
	defined := testFunctions(t, "..")
	cited := testName.FindAllString(string(page), -1)
	if len(cited) < 20 {
		t.Fatalf("only %d test names found in %s: the pattern is broken", len(cited), security)
	}
	for _, name := range cited {
		if !defined[name] {
			t.Errorf("%s cites %s, which no _test.go file defines", security, name)
		}
	}
}

var testFunc = regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)[A-Za-z0-9_]*)\(`)

// testFunctions are the test and fuzz functions of every _test.go file under root.
func testFunctions(t *testing.T, root string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		for _, m := range testFunc.FindAllStringSubmatch(string(src), -1) {
			names[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestPagesNameTheChartSettingsThatChangeKvenvsRights: the chart values that
// give kvenv more than its RBAC (a registry credential) or keep it serving
// through a rollout are what a security review looks for; the pages that
// discuss those subjects must name them, and the values must exist.
func TestPagesNameTheChartSettingsThatChangeKvenvsRights(t *testing.T) {
	values, err := os.ReadFile("../manifests/charts/kvenv/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for page, settings := range map[string][]string{
		security:   {"imagePullSecrets.read", "registry.azureIdentity", "shutdownDelay"},
		quickstart: {"registry.azureIdentity"},
		readme:     {"registry.azureIdentity", "imagePullSecrets.read"},
	} {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range settings {
			leaf := s[strings.LastIndex(s, ".")+1:]
			if !regexp.MustCompile(`(?m)^\s*` + leaf + `:`).Match(values) {
				t.Errorf("the chart has no value %s any more: update this test", s)
			}
			if !strings.Contains(string(text), "`"+s+"`") && !strings.Contains(string(text), s+"=") {
				t.Errorf("%s does not name the chart value %s", page, s)
			}
		}
	}
}

var logLevel = regexp.MustCompile(`\bat V\((\d+)\)`)

// TestSecurityPageDescribesTheAdmissionLog sends a denied pod through the
// webhook's handler with every log line captured, and wants what the page
// says: one line per admission at the verbosity it names, with the result
// and without the denial's text.
func TestSecurityPageDescribesTheAdmissionLog(t *testing.T) {
	page, err := os.ReadFile(security)
	if err != nil {
		t.Fatal(err)
	}
	m := logLevel.FindSubmatch(page)
	if m == nil {
		t.Fatalf("%s no longer says at which verbosity kvenv logs an admission", security)
	}
	want, _ := strconv.Atoi(string(m[1]))
	logs := &logCapture{}
	cfg := webhook.DefaultConfig()
	cfg.InjectorImage = "ghcr.io/kvenv/kvenv:0.1.0"
	denial := admitOnce(t, &webhook.Handler{Config: cfg, Log: logr.New(logs)})
	if denial == "" {
		t.Fatal("the misspelt annotation was not denied")
	}
	if len(logs.lines) != 1 {
		t.Fatalf("want one log line for the admission, got %d: %+v", len(logs.lines), logs.lines)
	}
	line := logs.lines[0]
	if line.level != want || !strings.Contains(line.text, "denied") {
		t.Errorf("the page says V(%d) with the result denied; the handler logged at V(%d): %s", want, line.level, line.text)
	}
	if strings.Contains(line.text, denial) {
		t.Errorf("the log repeats the denial %q: %s", denial, line.text)
	}
}

// admitOnce posts the review of a pod with a misspelt kvenv annotation and
// returns the denial's message.
func admitOnce(t *testing.T, h http.Handler) string {
	t.Helper()
	pod := corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "sampleapp", Annotations: map[string]string{
			"kvenv.io/vault": "myvault", "kvenv.io/evn.DB_PASSWORD": "DbPassword",
		}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1", Command: []string{"/app"}}}},
	}
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	review, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: "1", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Operation: admissionv1.Create,
			Name: pod.Name, Namespace: pod.Namespace, Object: runtime.RawExtension{Raw: raw},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, webhook.MutatePath, strings.NewReader(string(review)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var answer admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Response == nil {
		t.Fatalf("no AdmissionReview in the answer (%v): %s", err, rec.Body)
	}
	if answer.Response.Allowed || answer.Response.Result == nil {
		return ""
	}
	return answer.Response.Result.Message
}

// logCapture is a logr sink that keeps every line at every verbosity.
type logCapture struct {
	mu     sync.Mutex
	lines  []logLine
	values []any
}

type logLine struct {
	level int
	text  string
}

func (c *logCapture) Init(logr.RuntimeInfo)        {}
func (c *logCapture) Enabled(int) bool             { return true }
func (c *logCapture) WithName(string) logr.LogSink { return c }

func (c *logCapture) WithValues(kv ...any) logr.LogSink {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.values = append(c.values, kv...)
	return c
}

func (c *logCapture) Info(level int, msg string, kv ...any) { c.add(level, msg, nil, kv) }

func (c *logCapture) Error(err error, msg string, kv ...any) { c.add(0, msg, err, kv) }

func (c *logCapture) add(level int, msg string, err error, kv []any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, logLine{level, fmt.Sprintf("%s err=%v %v %v", msg, err, c.values, kv)})
}

package docs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/kvenv/kvenv/webhook"
)

const quickstart = "aks-quickstart.md"

// programs the quickstart may run; anything else is a test failure.
var programs = []string{"export", "az", "kubectl", "helm", "docker", "curl", "kvenv-webhook"}

// step is one command of the page, parsed with the variables set before it.
type step struct {
	block block
	cmd   command
	words words
}

// steps walks the console blocks in order, tracking `export`.
func steps(t *testing.T, blocks []block) []step {
	t.Helper()
	env := map[string]string{}
	var out []step
	for _, b := range blocks {
		if b.lang != "console" {
			continue
		}
		for _, c := range consoleCommands(b) {
			w, err := splitWords(c.text, env)
			if err != nil {
				t.Fatalf("%s: %v", c, err)
			}
			if len(w.args) == 0 || !slices.Contains(programs, w.args[0]) {
				t.Fatalf("%s: not one of the programs this page may use (%v)", c, programs)
			}
			if w.args[0] == "export" {
				for _, a := range w.args[1:] {
					k, v, _ := strings.Cut(a, "=")
					env[k] = v
				}
			}
			out = append(out, step{b, c, w})
		}
	}
	return out
}

// TestQuickstartAzDockerCurlMatchTheirReference checks every az, docker and
// curl line (and az inside $(...), and az in the prose) against the
// reference table. These are checked against the documentation, not run.
func TestQuickstartAzDockerCurlMatchTheirReference(t *testing.T) {
	checked := 0
	for _, s := range steps(t, readBlocks(t, quickstart)) {
		for _, w := range append([]words{s.words}, s.words.subs...) {
			switch w.args[0] {
			case "az", "docker", "curl":
				checked++
				if err := checkAgainstReference(w.args); err != nil {
					t.Errorf("%s: %v", s.cmd, err)
				}
			}
		}
	}
	for _, line := range inlineCommands(t, quickstart, "az") {
		checked++
		w, err := splitWords(line, map[string]string{"VAULT": "v", "APP_PRINCIPAL_ID": "p"})
		if err != nil {
			t.Fatal(err)
		}
		if err := checkAgainstReference(w.args); err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}
	if checked < 20 {
		t.Errorf("only %d az/docker/curl lines found: the page parser is broken", checked)
	}
}

// TestQuickstartYAMLIsValid decodes every yaml block strictly into the
// Kubernetes types, and runs each through the webhook's render (so its pure
// Mutate): no annotation of the page may be denied, and every pod template
// with kvenv annotations must get the init container.
func TestQuickstartYAMLIsValid(t *testing.T) {
	n := 0
	for _, b := range readBlocks(t, quickstart) {
		if b.lang != "yaml" {
			continue
		}
		n++
		for _, doc := range splitYAML(t, []byte(b.body)) {
			if err := decodeStrict(doc); err != nil {
				t.Errorf("line %d (%s): %v", b.line, b.file, err)
			}
		}
		rendered, err := render(b.body)
		if err != nil {
			t.Errorf("line %d (%s): the webhook denies it: %v", b.line, b.file, err)
			continue
		}
		if strings.Contains(b.body, "kvenv.io/env.") && !strings.Contains(rendered, "name: kvenv-init") {
			t.Errorf("line %d (%s): kvenv annotations but no init container after render:\n%s", b.line, b.file, rendered)
		}
	}
	if n < 5 {
		t.Errorf("only %d yaml blocks found", n)
	}
}

// secretProviderClass is the shape of the driver's custom resource that the
// page uses, for strict decoding (the CRD is not part of Kubernetes).
type secretProviderClass struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Provider      string            `json:"provider"`
		Parameters    map[string]string `json:"parameters"`
		SecretObjects []struct {
			SecretName string `json:"secretName"`
			Type       string `json:"type"`
			Data       []struct {
				ObjectName string `json:"objectName"`
				Key        string `json:"key"`
			} `json:"data"`
		} `json:"secretObjects"`
	} `json:"spec"`
}

func decodeStrict(doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	var into any
	switch tm.Kind {
	case "Namespace":
		into = &corev1.Namespace{}
	case "ServiceAccount":
		into = &corev1.ServiceAccount{}
	case "Service":
		into = &corev1.Service{}
	case "Deployment":
		into = &appsv1.Deployment{}
	case "SecretProviderClass":
		into = &secretProviderClass{}
	default:
		return errors.New("kind " + tm.Kind + " has no strict decoder in docs_test.go")
	}
	return yaml.UnmarshalStrict(doc, into)
}

func render(manifests string) (string, error) {
	cfg := webhook.DefaultConfig()
	cfg.InjectorImage = "ghcr.io/kvenv/kvenv:0.1.0"
	var out bytes.Buffer
	err := webhook.RenderObjects(strings.NewReader(manifests), &out, webhook.Inputs{Namespace: "default"}, cfg)
	return out.String(), err
}

// TestQuickstartDenialIsReal: the troubleshooting section quotes the
// webhook's denial for a misspelt annotation; it must be what Mutate says.
// The init container's log lines are checked by TestQuickstartInitLogLinesAreReal.
func TestQuickstartDenialIsReal(t *testing.T) {
	page, _ := os.ReadFile(quickstart)
	var app *appsv1.Deployment
	for _, b := range readBlocks(t, quickstart) {
		if b.file != "sampleapp.yaml" {
			continue
		}
		for _, doc := range splitYAML(t, []byte(b.body)) {
			d := &appsv1.Deployment{}
			if yaml.Unmarshal(doc, d) == nil && d.Kind == "Deployment" {
				app = d
			}
		}
	}
	if app == nil {
		t.Fatal("no Deployment in sampleapp.yaml")
	}
	ann := app.Spec.Template.Annotations
	ann["kvenv.io/evn.SPRING_DATASOURCE_PASSWORD"] = ann["kvenv.io/env.SPRING_DATASOURCE_PASSWORD"]
	delete(ann, "kvenv.io/env.SPRING_DATASOURCE_PASSWORD")
	pod := &corev1.Pod{ObjectMeta: app.Spec.Template.ObjectMeta, Spec: app.Spec.Template.Spec}
	cfg := webhook.DefaultConfig()
	cfg.InjectorImage = "ghcr.io/kvenv/kvenv:0.1.0"
	_, err := webhook.Mutate(pod, webhook.Inputs{Namespace: "sampleapp"}, cfg)
	if err == nil {
		t.Fatal("the misspelt annotation was accepted")
	}
	if want := `denied the request: ` + err.Error(); !bytes.Contains(page, []byte(want)) {
		t.Errorf("the page does not quote the real denial %q", want)
	}
}

func splitYAML(t *testing.T, raw []byte) [][]byte {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	var out [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(doc)) > 0 {
			out = append(out, doc)
		}
	}
}

// writeFiles saves every block that the page says to save under a name.
func writeFiles(t *testing.T, blocks []block, dir string, skip func(string) bool) {
	t.Helper()
	for _, b := range blocks {
		if b.file != "" && !skip(b.file) {
			if err := os.WriteFile(filepath.Join(dir, b.file), []byte(b.body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestQuickstartKvenvCommands runs every kvenv-webhook line of the page with
// the real binary, on the page's own files, and compares what it prints.
func TestQuickstartKvenvCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kvenv-webhook; run without -short")
	}
	bin := buildCommand(t, "kvenv-webhook")
	blocks := readBlocks(t, quickstart)
	dir := t.TempDir()
	produced := map[string]bool{}
	for _, s := range steps(t, blocks) {
		if s.words.redirect != "" {
			produced[s.words.redirect] = true
		}
	}
	writeFiles(t, blocks, dir, func(f string) bool { return produced[f] })
	ran := 0
	for _, s := range steps(t, blocks) {
		if s.words.args[0] != "kvenv-webhook" {
			continue
		}
		ran++
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, s.words.args[1:]...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", s.cmd, err, stderr.String())
		}
		if s.words.redirect != "" {
			if err := os.WriteFile(filepath.Join(dir, s.words.redirect), stdout.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if stderr.String() != s.cmd.output {
				t.Errorf("%s: the page shows\n%s\nthe command prints\n%s", s.cmd, s.cmd.output, stderr.String())
			}
			continue
		}
		if missing := notInOrder(s.cmd.output, stdout.String()); missing != "" {
			t.Errorf("%s: shown line %q is not in the output, in order:\n%s", s.cmd, missing, stdout.String())
		}
	}
	for _, b := range blocks {
		if !produced[b.file] {
			continue
		}
		got, err := os.ReadFile(filepath.Join(dir, b.file))
		if err != nil {
			t.Fatalf("line %d: %s was shown but never produced: %v", b.line, b.file, err)
		}
		if string(got) != b.body {
			t.Errorf("line %d: the page shows %s as\n%s\nthe command wrote\n%s", b.line, b.file, b.body, got)
		}
	}
	if ran < 2 {
		t.Errorf("only %d kvenv-webhook lines ran", ran)
	}
}

// notInOrder returns the first shown line that is not found, after the
// previous one, among the output's lines.
func notInOrder(shown, output string) string {
	out := strings.Split(output, "\n")
	i := 0
	for _, want := range strings.Split(strings.TrimSuffix(shown, "\n"), "\n") {
		for i < len(out) && out[i] != want {
			i++
		}
		if i == len(out) {
			return want
		}
		i++
	}
	return ""
}

// buildCommand builds ./cmd/<name> into the test's temporary directory.
func buildCommand(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/"+name)
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, out)
	}
	return bin
}

var timeoutFlag = regexp.MustCompile(`^--timeout=.*$`)

package docs

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

const readme = "../README.md"

// renderLines are the `kvenv-webhook render` command lines README.md shows:
// the lines of its code blocks (which are plain, without "$ ") and the
// spans of its prose.
func renderLines(t *testing.T) []command {
	t.Helper()
	const prefix = "kvenv-webhook render"
	var lines []command
	for _, b := range readBlocks(t, readme) {
		for i, line := range strings.Split(b.body, "\n") {
			if strings.HasPrefix(line, prefix) {
				lines = append(lines, command{line: b.line + 1 + i, text: line})
			}
		}
	}
	for _, span := range inlineCommands(t, readme, prefix) {
		lines = append(lines, command{text: span})
	}
	return lines
}

// TestReadmeRenderCommandsRun runs every `kvenv-webhook render` line of the
// README with the real binary, on the README's own manifest: it must
// succeed and add the init container, as the page says it does.
func TestReadmeRenderCommandsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kvenv-webhook; run without -short")
	}
	lines := renderLines(t)
	if len(lines) == 0 {
		t.Fatal("README.md shows no kvenv-webhook render line: the page parser is broken")
	}
	blocks := readBlocks(t, readme)
	for _, b := range blocks {
		if b.lang != "yaml" {
			continue
		}
		for _, doc := range splitYAML(t, []byte(b.body)) {
			if err := decodeStrict(doc); err != nil {
				t.Errorf("README.md line %d: %v", b.line, err)
			}
		}
	}
	dir := t.TempDir()
	writeFiles(t, blocks, dir, func(string) bool { return false })
	bin := buildCommand(t, "kvenv-webhook")
	for _, c := range lines {
		w, err := splitWords(c.text, map[string]string{})
		if err != nil {
			t.Fatalf("README.md %s: %v", c, err)
		}
		if f := missingFile(dir, w.args); f != "" {
			t.Errorf("README.md %s: reads %s, which the page does not show: name it as `%s` in the prose just before its yaml block", c, f, f)
			continue
		}
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, w.args[1:]...)
		cmd.Dir, cmd.Stdin, cmd.Stdout, cmd.Stderr = dir, strings.NewReader(""), &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("README.md %s: %v\n%s", c, err, stderr.String())
			continue
		}
		if !strings.Contains(stdout.String(), "name: kvenv-init") {
			t.Errorf("README.md %s: no init container in the output:\n%s", c, stdout.String())
		}
	}
}

// missingFile is the first file named by -f in args that dir lacks.
func missingFile(dir string, args []string) string {
	for i, a := range args {
		f, ok := strings.CutPrefix(a, "-f=")
		if !ok && a == "-f" && i+1 < len(args) {
			f, ok = args[i+1], true
		}
		if !ok || f == "-" {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return f
		}
	}
	return ""
}

var binaryCount = regexp.MustCompile("`make` builds the (\\w+) binaries")

// TestReadmeCountsTheBinariesOfCmd: `make` builds every command of cmd/
// (./cmd/...); the README says how many and names each one.
func TestReadmeCountsTheBinariesOfCmd(t *testing.T) {
	page, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	prose := strings.Join(strings.Fields(string(page)), " ")
	m := binaryCount.FindStringSubmatch(prose)
	if m == nil {
		t.Fatal("README.md no longer says \"`make` builds the N binaries\": update this test with what it says")
	}
	commands := mainPackages(t, "../cmd")
	if words := []string{"zero", "one", "two", "three", "four", "five", "six"}; len(commands) >= len(words) || m[1] != words[len(commands)] {
		t.Errorf("README.md says `make` builds the %s binaries; ./cmd/... has %d: %v", m[1], len(commands), commands)
	}
	for _, name := range commands {
		if !strings.Contains(prose, "`"+name+"`") {
			t.Errorf("README.md does not name the binary `%s` of cmd/", name)
		}
	}
}

// mainPackages are the directories of dir that hold a main package.
func mainPackages(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		src, err := os.ReadFile(filepath.Join(dir, e.Name(), "main.go"))
		if e.IsDir() && err == nil && bytes.Contains(src, []byte("\npackage main\n")) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		t.Fatalf("no main package under %s", dir)
	}
	return names
}

// workloadIdentityLabel makes the Azure Workload Identity webhook project the
// service account token and set AZURE_* in the pod; without it kvenv-init
// finds no token and signs in as the node's managed identity instead.
const workloadIdentityLabel = "azure.workload.identity/use"

// TestPagesWorkloadIdentityPodsCarryTheLabel: a pod template of the pages
// that names a service account and no kvenv.io/client-id relies on workload
// identity, so it must carry the label that turns it on.
func TestPagesWorkloadIdentityPodsCarryTheLabel(t *testing.T) {
	checked := 0
	for _, page := range []string{readme, quickstart} {
		for _, b := range readBlocks(t, page) {
			if b.lang != "yaml" {
				continue
			}
			for _, doc := range splitYAML(t, []byte(b.body)) {
				d := &appsv1.Deployment{}
				if yaml.Unmarshal(doc, d) != nil || d.Kind != "Deployment" {
					continue
				}
				tpl := d.Spec.Template
				if tpl.Spec.ServiceAccountName == "" || tpl.Annotations["kvenv.io/client-id"] != "" {
					continue
				}
				checked++
				if tpl.Labels[workloadIdentityLabel] != "true" {
					t.Errorf("%s line %d: Deployment %s uses service account %s for workload identity but its pod template lacks the label %s: \"true\"",
						page, b.line, d.Name, tpl.Spec.ServiceAccountName, workloadIdentityLabel)
				}
			}
		}
	}
	if checked < 2 {
		t.Errorf("only %d workload identity pod templates found in the pages: the check proves nothing", checked)
	}
}

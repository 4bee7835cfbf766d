package manifests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// notesSet sets, away from their defaults, the values that reach flags
// `kvenv-webhook render` shares with serve.
var notesSet = []string{
	"injector.image.repository=registry.example/kvenv-injector",
	"injector.pullPolicy=Always",
	"injector.resources.requests.cpu=20m",
	"injector.resources.limits.memory=96Mi",
	"injector.volumeSizeLimit=4Mi",
	"injector.fetchTimeout=45s",
	"injector.maxReferences=20",
	"injector.defaultPlatform=linux/arm64",
	"azure.vaultDnsSuffix=vault.azure.cn",
	"azure.authorityHost=https://login.chinacloudapi.cn",
	"azure.disableInstanceDiscovery=true",
	"--set-file=azure.caBundle=testdata/extra-ca.pem",
	"allowedVaults={myvault,team-b.vault.azure.cn}",
}

// TestNotesRenderLineCarriesTheInstallsConfig: the render line of the
// install notes carries every flag the webhook container gets that render
// also defines, with the same value (the CA bundle as a local file the notes
// say how to fetch), so render shows what this install's webhook does. The
// line then runs, as a shell would run it, with the real kvenv-webhook.
func TestNotesRenderLineCarriesTheInstallsConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kvenv-webhook")
	}
	bin := buildWebhook(t)
	line := renderLine(t, notes(t, notesSet...))
	words := shellWords(t, line)
	renderFlags := flagsOf(t, bin, "render")
	container := args(t, deployment(t, render(t, "kvenv", "kvenv", notesSet...)))
	for name, value := range container {
		if !renderFlags[name] {
			continue
		}
		if name == "ca-bundle-file" {
			value = "ca-bundle.pem"
		}
		if want := "--" + name + "=" + value; !words[want] && !(value == "true" && words["--"+name]) {
			t.Errorf("the NOTES render line lacks %s:\n%s", want, line)
		}
	}
	if !strings.Contains(notes(t, notesSet...), "get configmap kvenv-ca-bundle -o jsonpath='{.data.ca-bundle\\.pem}' > ca-bundle.pem") {
		t.Error("with azure.caBundle set, the notes must say how to fetch ca-bundle.pem for --ca-bundle-file")
	}
	out := runRenderLine(t, bin, line)
	if !strings.Contains(out, "registry.example/kvenv-injector:") || !strings.Contains(out, "--timeout=45s") {
		t.Errorf("render did not use the install's injector image and fetch timeout:\n%s", out)
	}
}

// TestNotesRenderLineRunsWithDefaults: with default values the line runs too
// and needs no CA bundle file.
func TestNotesRenderLineRunsWithDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kvenv-webhook")
	}
	n := notes(t)
	if strings.Contains(n, "ca-bundle") {
		t.Errorf("without azure.caBundle the notes must not mention a CA bundle:\n%s", n)
	}
	runRenderLine(t, buildWebhook(t), renderLine(t, n))
}

// notes renders NOTES.txt offline: helm template leaves it out, and helm
// install --dry-run needs a cluster, so a copy of the chart gets a template
// that holds the notes' text as a named template and prints it into a
// ConfigMap.
func notes(t *testing.T, set ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "kvenv")
	if err := os.CopyFS(dir, os.DirFS(chartDir)); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(chartDir, "templates", "NOTES.txt"))
	if err != nil {
		t.Fatal(err)
	}
	probe := `{{ define "kvenv.notesProbe" }}` + string(text) + "{{ end }}"
	manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include \"kvenv.notesProbe\" . | toJson }}\n"
	for name, content := range map[string]string{"_notesprobe.tpl": probe, "notesprobe.yaml": manifest} {
		if err := os.WriteFile(filepath.Join(dir, "templates", name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := append([]string{"template", "kvenv", dir, "--namespace", "kvenv", "--kube-version", kubeVersion, "--show-only", "templates/notesprobe.yaml"}, setFlags(set)...)
	out, err := helm(t, cmd...)
	if err != nil {
		t.Fatalf("rendering NOTES.txt with %v: %v", set, err)
	}
	cm := &corev1.ConfigMap{}
	decodeObjects(t, out).one(t, "ConfigMap", cm)
	return cm.Data["notes"]
}

// renderLine is the notes' kvenv-webhook render command with its
// continuation lines.
func renderLine(t *testing.T, notes string) string {
	t.Helper()
	_, rest, ok := strings.Cut(notes, "kvenv-webhook render")
	if !ok {
		t.Fatalf("the notes have no render line:\n%s", notes)
	}
	line := "kvenv-webhook render"
	for _, l := range strings.Split(rest, "\n") {
		line += l + "\n"
		if !strings.HasSuffix(l, `\`) {
			break
		}
	}
	return line
}

// shellWords splits line as sh does, by letting sh print each word.
func shellWords(t *testing.T, line string) map[string]bool {
	t.Helper()
	out, err := exec.Command("sh", "-c", `set -- `+strings.TrimSpace(strings.TrimPrefix(line, "kvenv-webhook"))+` && printf '%s\n' "$@"`).Output()
	if err != nil {
		t.Fatalf("sh cannot read the render line %q: %v", line, err)
	}
	words := map[string]bool{}
	for _, w := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		words[w] = true
	}
	return words
}

// runRenderLine runs line with kvenv-webhook on the PATH, in a directory
// that holds deployment.yaml (and ca-bundle.pem), and returns its output.
func runRenderLine(t *testing.T, bin, line string) string {
	t.Helper()
	dir := t.TempDir()
	pem, err := os.ReadFile("testdata/extra-ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"deployment.yaml": []byte(notesDeployment), "ca-bundle.pem": pem} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the NOTES render line fails: %v\n%s\n%s", err, line, out)
	}
	return string(out)
}

// flagsOf lists the flags a kvenv-webhook command defines, from its usage.
func flagsOf(t *testing.T, bin, command string) map[string]bool {
	t.Helper()
	out, _ := exec.Command(bin, command, "-h").CombinedOutput()
	flags := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		if f, ok := strings.CutPrefix(strings.TrimSpace(l), "-"); ok {
			name, _, _ := strings.Cut(f, " ")
			flags[name] = true
		}
	}
	if !flags["injector-image"] {
		t.Fatalf("kvenv-webhook %s -h lists no --injector-image:\n%s", command, out)
	}
	return flags
}

func buildWebhook(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kvenv-webhook")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/kvenv/kvenv/cmd/kvenv-webhook").CombinedOutput(); err != nil {
		t.Fatalf("building kvenv-webhook: %v\n%s", err, out)
	}
	return bin
}

const notesDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  selector:
    matchLabels: {app: app}
  template:
    metadata:
      labels: {app: app}
      annotations:
        kvenv.io/vault: myvault
        kvenv.io/env.DB_PASSWORD: DatasourcePassword
    spec:
      containers:
        - name: app
          image: registry.example/app:1
          command: ["/app"]
`

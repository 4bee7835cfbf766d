package docs

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/kvenv/kvenv/webhook"
)

const (
	chartFile  = "../manifests/charts/kvenv/Chart.yaml"
	valuesFile = "../manifests/charts/kvenv/values.yaml"
	dockerfile = "../Dockerfile"
)

var (
	chartKubeVersion = regexp.MustCompile(`(?m)^kubeVersion:\s*">=(\d+\.\d+)`)
	goDirective      = regexp.MustCompile(`(?m)^go (\d+\.\d+)`)
)

// TestQuickstartNamesWhatItNeeds: section 1 must give the oldest Kubernetes
// the chart installs on (helm refuses older clusters) and the Go that builds
// kvenv-webhook, which sections 7 and 9 run.
func TestQuickstartNamesWhatItNeeds(t *testing.T) {
	page := strings.Join(strings.Fields(section(t, quickstart, "## 1. ")), " ")
	want := map[string]string{}
	if m := chartKubeVersion.FindSubmatch(readFile(t, chartFile)); m == nil {
		t.Fatalf("%s: no kubeVersion \">=X.Y\": update this test", chartFile)
	} else {
		want["the chart's kubeVersion"] = "Kubernetes " + string(m[1]) + " or later"
	}
	if m := goDirective.FindSubmatch(readFile(t, "../go.mod")); m == nil {
		t.Fatal("go.mod: no go directive")
	} else {
		want["go.mod's Go"] = "with Go " + string(m[1]) + ", `make`"
	}
	for what, text := range want {
		if !strings.Contains(page, text) {
			t.Errorf("%s section 1 does not say %q (%s)", quickstart, text, what)
		}
	}
}

// TestQuickstartDockerRunLinesRunKvenvWebhook: the page's `docker run` lines
// stand in for a built kvenv-webhook, so the chart's default image must be
// the one named, its ENTRYPOINT must be kvenv-webhook, and the words after
// the image must be a kvenv-webhook command line that works on the page's
// files (run here with the real binary, as the image would).
func TestQuickstartDockerRunLinesRunKvenvWebhook(t *testing.T) {
	lines := inlineCommands(t, quickstart, "docker run")
	if len(lines) == 0 {
		t.Fatalf("%s names no `docker run` line for kvenv-webhook", quickstart)
	}
	if !regexp.MustCompile(`(?m)^ENTRYPOINT \["/usr/local/bin/kvenv-webhook"\]$`).Match(readFile(t, dockerfile)) {
		t.Fatalf("%s: the ENTRYPOINT is no longer kvenv-webhook: the page's docker run lines need another form", dockerfile)
	}
	image := chartDefaultImage(t)
	dir := t.TempDir()
	writeFiles(t, readBlocks(t, quickstart), dir, func(string) bool { return false })
	var bin string
	for _, line := range lines {
		w, err := splitWords(line, map[string]string{"PWD": dir})
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		dockerArgs, args, stdin := splitDockerRun(w.args)
		if err := checkAgainstReference(dockerArgs); err != nil {
			t.Errorf("%s: %v", line, err)
		}
		if got := dockerArgs[len(dockerArgs)-1]; got != image {
			t.Errorf("%s: runs image %s; the chart's default is %s", line, got, image)
		}
		if len(args) == 0 || !slices.Contains([]string{"render", "migrate"}, args[0]) {
			t.Errorf("%s: %v is not a kvenv-webhook render or migrate command", line, args)
			continue
		}
		if testing.Short() {
			continue
		}
		if bin == "" {
			bin = buildCommand(t, "kvenv-webhook")
		}
		var in, out, errOut bytes.Buffer
		if stdin != "" {
			in.Write(readFile(t, filepath.Join(dir, stdin)))
		}
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Stdin, cmd.Stdout, cmd.Stderr = dir, &in, &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Errorf("%s: kvenv-webhook %v: %v\n%s", line, args, err, errOut.String())
		} else if !strings.Contains(out.String(), "kind: Deployment") {
			t.Errorf("%s: no Deployment in the output:\n%s", line, out.String())
		}
	}
}

// splitDockerRun splits `docker run FLAGS IMAGE ARGS < FILE` into the docker
// part (up to the image), the image's arguments and the standard input file.
func splitDockerRun(args []string) (docker, image []string, stdin string) {
	if i := slices.Index(args, "<"); i >= 0 && i+1 < len(args) {
		stdin = args[i+1]
		args = slices.Delete(slices.Clone(args), i, i+2)
	}
	withValue := []string{"-v", "--volume", "-w", "--workdir"}
	i := 2 // after "docker run"
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		if slices.Contains(withValue, args[i]) {
			i++
		}
		i++
	}
	if i >= len(args) {
		return args, nil, stdin
	}
	return args[:i+1], args[i+1:], stdin
}

// chartDefaultImage is image.repository:appVersion, what the chart deploys
// when no tag or digest is set.
func chartDefaultImage(t *testing.T) string {
	t.Helper()
	var values struct {
		Image struct{ Repository, Tag, Digest string }
	}
	var chart struct {
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(readFile(t, valuesFile), &values); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(readFile(t, chartFile), &chart); err != nil {
		t.Fatal(err)
	}
	if values.Image.Tag != "" || values.Image.Digest != "" {
		t.Fatalf("%s sets image.tag or image.digest: update this test", valuesFile)
	}
	return values.Image.Repository + ":" + chart.AppVersion
}

// TestQuickstartCommandKeepsTheImagesCmd: the page reads the sample image's
// ENTRYPOINT and CMD with docker image inspect and writes them into
// sampleapp.yaml. Kubernetes drops the image's CMD once a container sets
// command, so the manifest must run what the image would: rendering it as
// written must give the same command line as rendering it without command
// and args, told what the shown inspect output says.
func TestQuickstartCommandKeepsTheImagesCmd(t *testing.T) {
	var shown *step
	for _, s := range steps(t, readBlocks(t, quickstart)) {
		if len(s.words.args) > 2 && s.words.args[1] == "image" && s.words.args[2] == "inspect" {
			shown = &s
		}
	}
	if shown == nil {
		t.Fatalf("%s shows no docker image inspect line", quickstart)
	}
	format := shown.words.args[slices.Index(shown.words.args, "--format")+1]
	for _, field := range []string{".Config.Entrypoint", ".Config.Cmd"} {
		if !strings.Contains(format, field) {
			t.Errorf("%s: the format does not print %s, which the container's command line needs", shown.cmd, field)
		}
	}
	var image struct{ Entrypoint, Cmd []string }
	dec := json.NewDecoder(strings.NewReader(shown.cmd.output))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&image); err != nil {
		t.Fatalf("%s: the shown output is not {\"entrypoint\":[...],\"cmd\":[...]}: %v", shown.cmd, err)
	}
	app := sampleappDeployment(t)
	written := renderedCommand(t, app, nil)
	c := &app.Spec.Template.Spec.Containers[0]
	c.Command, c.Args = nil, nil
	fromImage := renderedCommand(t, app, map[string]webhook.ImageCommand{c.Name: {Entrypoint: image.Entrypoint, Cmd: image.Cmd}})
	if !slices.Equal(written, fromImage) {
		t.Errorf("sampleapp.yaml runs %q; the image shown by %s runs %q", written, shown.cmd, fromImage)
	}
}

func sampleappDeployment(t *testing.T) *appsv1.Deployment {
	t.Helper()
	for _, b := range readBlocks(t, quickstart) {
		if b.file != "sampleapp.yaml" {
			continue
		}
		for _, doc := range splitYAML(t, []byte(b.body)) {
			d := &appsv1.Deployment{}
			if yaml.Unmarshal(doc, d) == nil && d.Kind == "Deployment" {
				return d
			}
		}
	}
	t.Fatal("no Deployment in sampleapp.yaml")
	return nil
}

// renderedCommand is the first container's command and args after the
// webhook's render, given the images' ENTRYPOINT and CMD.
func renderedCommand(t *testing.T, d *appsv1.Deployment, images map[string]webhook.ImageCommand) []string {
	t.Helper()
	in, err := yaml.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	cfg := webhook.DefaultConfig()
	cfg.InjectorImage = "ghcr.io/kvenv/kvenv:0.1.0"
	var out bytes.Buffer
	if err := webhook.RenderObjects(bytes.NewReader(in), &out, webhook.Inputs{Namespace: d.Namespace, Images: images}, cfg); err != nil {
		t.Fatalf("render: %v", err)
	}
	got := &appsv1.Deployment{}
	if err := yaml.Unmarshal(out.Bytes(), got); err != nil {
		t.Fatal(err)
	}
	c := got.Spec.Template.Spec.Containers[0]
	return append(slices.Clone(c.Command), c.Args...)
}

// TestQuickstartMigrateTableMatchesHelp: the page says `migrate -h` prints
// the same table, so every row of the help's "What maps" must be a row of
// the page's table (the first column, without the Markdown backticks).
func TestQuickstartMigrateTableMatchesHelp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kvenv-webhook; run without -short")
	}
	var out bytes.Buffer
	cmd := exec.Command(buildCommand(t, "kvenv-webhook"), "migrate", "-h")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("kvenv-webhook migrate -h: %v\n%s", err, out.String())
	}
	help := helpMapsRows(t, out.String())
	page := pageMigrateRows(t)
	for _, row := range help {
		if !slices.Contains(page, row) {
			t.Errorf("migrate -h maps %q; %s's table has no such row (its rows: %q)", row, quickstart, page)
		}
	}
}

// helpMapsRows are the first-column entries of "What maps:", continuation
// lines joined; the second column starts at helpColumn.
func helpMapsRows(t *testing.T, help string) []string {
	t.Helper()
	const helpColumn = 40
	_, after, ok := strings.Cut(help, "What maps:\n")
	if !ok {
		t.Fatalf("migrate -h has no \"What maps:\" section:\n%s", help)
	}
	section, _, _ := strings.Cut(after, "\n\n")
	var rows []string
	for _, line := range strings.Split(section, "\n") {
		left := strings.TrimSpace(line[:min(len(line), helpColumn)])
		switch {
		case left == "":
		case strings.HasPrefix(line, "    ") && len(rows) > 0:
			rows[len(rows)-1] += " " + left
		default:
			rows = append(rows, left)
		}
	}
	if len(rows) < 8 {
		t.Fatalf("only %d rows in migrate -h's \"What maps:\": the parser is broken:\n%s", len(rows), section)
	}
	return rows
}

// pageMigrateRows are the first cells of the page's mapping table.
func pageMigrateRows(t *testing.T) []string {
	t.Helper()
	_, table, ok := strings.Cut(string(readFile(t, quickstart)), "| SecretProviderClass / workload | kvenv |\n|---|---|\n")
	if !ok {
		t.Fatalf("%s has no migration table", quickstart)
	}
	var rows []string
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "| ") {
			break
		}
		cell, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " | ")
		rows = append(rows, strings.ReplaceAll(cell, "`", ""))
	}
	return rows
}

// section is the text of a page from the heading that starts with prefix
// to the next heading of the same level.
func section(t *testing.T, path, prefix string) string {
	t.Helper()
	_, rest, ok := strings.Cut(string(readFile(t, path)), "\n"+prefix)
	if !ok {
		t.Fatalf("%s has no heading %q", path, prefix)
	}
	text, _, _ := strings.Cut(rest, "\n## ")
	return text
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

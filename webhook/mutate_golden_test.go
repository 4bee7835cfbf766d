package webhook

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/mutate/*.golden.yaml from the current code")

const (
	goldenDir    = "testdata/mutate"
	goldenSuffix = ".golden.yaml"
	// Header lines of an input case: JSON for Inputs, and JSON overriding
	// fields of testConfig().
	inputsHeader = "# kvenv-test-inputs:"
	configHeader = "# kvenv-test-config:"
)

func updatingGolden() bool { return *update || os.Getenv("KVENV_UPDATE_GOLDEN") == "1" }

// TestGolden renders every testdata/mutate/*.yaml through RenderObjects (so
// through Mutate) and compares with its .golden.yaml: the warnings as
// comments, then the manifests. Each case then renders its own output again,
// which must change nothing.
func TestGolden(t *testing.T) {
	inputs := goldenInputs(t)
	checkNoStaleGoldens(t, inputs)
	for _, input := range inputs {
		name := strings.TrimSuffix(filepath.Base(input), ".yaml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(input)
			if err != nil {
				t.Fatal(err)
			}
			in, cfg := caseInputs(t, raw)
			rendered, warnings := renderForTest(t, raw, in, cfg)
			compareGolden(t, strings.TrimSuffix(input, ".yaml")+goldenSuffix, goldenText(name, warnings, rendered))
			t.Run("idempotent", func(t *testing.T) {
				// No image inputs the second time: a wrapped container needs none.
				again, _ := renderForTest(t, rendered, Inputs{Namespace: in.Namespace, NamespaceAnnotations: in.NamespaceAnnotations}, cfg)
				if !bytes.Equal(again, rendered) {
					t.Errorf("rendering the output again changed it:\n--- first\n%s\n--- second\n%s", rendered, again)
				}
				assertTemplatesConverged(t, rendered, in, cfg)
			})
		})
	}
}

func goldenInputs(t testing.TB) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join(goldenDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var inputs []string
	for _, f := range all {
		if !strings.HasSuffix(f, goldenSuffix) {
			inputs = append(inputs, f)
		}
	}
	if len(inputs) == 0 {
		t.Fatalf("no test cases in %s", goldenDir)
	}
	return inputs
}

// checkNoStaleGoldens fails on a golden file whose input is gone.
func checkNoStaleGoldens(t *testing.T, inputs []string) {
	t.Helper()
	goldens, err := filepath.Glob(filepath.Join(goldenDir, "*"+goldenSuffix))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, in := range inputs {
		have[strings.TrimSuffix(in, ".yaml")+goldenSuffix] = true
	}
	for _, g := range goldens {
		if !have[g] {
			t.Errorf("%s has no input %s: delete it or restore the input", g, strings.TrimSuffix(g, goldenSuffix)+".yaml")
		}
	}
}

func caseInputs(t testing.TB, raw []byte) (Inputs, Config) {
	t.Helper()
	in := Inputs{Namespace: "default"}
	cfg := testConfig()
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, inputsHeader); ok {
			if err := json.Unmarshal([]byte(v), &in); err != nil {
				t.Fatalf("%s %v", inputsHeader, err)
			}
		}
		if v, ok := strings.CutPrefix(line, configHeader); ok {
			if err := json.Unmarshal([]byte(v), &cfg); err != nil {
				t.Fatalf("%s %v", configHeader, err)
			}
		}
	}
	return in, cfg
}

func renderForTest(t *testing.T, raw []byte, in Inputs, cfg Config) (rendered []byte, warnings []string) {
	t.Helper()
	var out, warn bytes.Buffer
	if err := RenderObjectsWithWarnings(bytes.NewReader(raw), &out, &warn, in, cfg); err != nil {
		t.Fatalf("render: %v", err)
	}
	if s := strings.TrimSpace(warn.String()); s != "" {
		warnings = strings.Split(s, "\n")
	}
	return out.Bytes(), warnings
}

func goldenText(name string, warnings []string, rendered []byte) []byte {
	var b bytes.Buffer
	b.WriteString("# Rendered from " + name + ".yaml by TestGolden; refresh with: go test ./webhook -run TestGolden -update\n")
	for _, w := range warnings {
		b.WriteString("# warning: " + w + "\n")
	}
	b.Write(rendered)
	return b.Bytes()
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if updatingGolden() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (rerun with -update if the change is intended):\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the first differing lines, enough to see what changed.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return "(no line differs)"
}

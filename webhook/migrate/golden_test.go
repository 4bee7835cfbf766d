package migrate

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each testdata/in/NAME.yaml is migrated; the manifests must equal
// testdata/golden/NAME.yaml and the report testdata/golden/NAME.report.
// `go test ./webhook/migrate -update` (or KVENV_UPDATE_GOLDEN=1, as for the
// webhook's goldens) rewrites them; review the diff.
var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

func updatingGolden() bool { return *update || os.Getenv("KVENV_UPDATE_GOLDEN") == "1" }

const goldenDir = "testdata/golden"

func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/in/*.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs in testdata/in: %v", err)
	}
	expected := map[string]bool{}
	for _, in := range inputs {
		base := strings.TrimSuffix(filepath.Base(in), ".yaml")
		manifests, report := filepath.Join(goldenDir, base+".yaml"), filepath.Join(goldenDir, base+".report")
		expected[manifests], expected[report] = true, true
		t.Run(base, func(t *testing.T) {
			res := migrateFile(t, in)
			var rep bytes.Buffer
			if err := WriteReport(&rep, res.Findings); err != nil {
				t.Fatal(err)
			}
			compareGolden(t, manifests, res.Manifests)
			compareGolden(t, report, rep.Bytes())
		})
	}
	t.Run("no stale golden files", func(t *testing.T) {
		goldens, _ := filepath.Glob(filepath.Join(goldenDir, "*"))
		for _, g := range goldens {
			if !expected[g] {
				t.Errorf("%s has no input in testdata/in: delete it (or add its input)", g)
			}
		}
	})
}

func migrateFile(t *testing.T, path string) Result {
	t.Helper()
	res, err := Migrate(readFile(t, path))
	if err != nil {
		t.Fatalf("Migrate(%s): %v", path, err)
	}
	return res
}

// mustMigrate migrates in, which must be readable input.
func mustMigrate(t *testing.T, in []byte) Result {
	t.Helper()
	res, err := Migrate(in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
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
		t.Fatalf("%v (run go test ./webhook/migrate -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run with -update and review the diff)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// Migrating the output again changes nothing: what was translated is gone,
// and what was left is still untranslatable.
func TestMigrateTwiceEqualsOnce(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/in/*.yaml")
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			once := migrateFile(t, in)
			twice, err := Migrate(once.Manifests)
			if err != nil {
				t.Fatalf("output is not readable input: %v", err)
			}
			if !bytes.Equal(once.Manifests, twice.Manifests) {
				t.Errorf("second run changed the output:\n%s\n--- after the first run ---\n%s", twice.Manifests, once.Manifests)
			}
			for _, f := range twice.Findings {
				if f.Level == Migrated {
					t.Errorf("second run migrated again: %s", f)
				}
			}
		})
	}
}

package migrate

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzMigrate: any input either is refused as unreadable or migrates into
// output that reads again and that a second run leaves byte for byte as it
// is (what was translated is gone, what was left is still untranslatable).
func FuzzMigrate(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/in/*.yaml")
	for _, in := range inputs {
		raw, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		res, err := Migrate(in)
		if err != nil {
			return
		}
		again, err := Migrate(res.Manifests)
		if err != nil {
			t.Fatalf("output of a readable input is unreadable: %v\n%s", err, res.Manifests)
		}
		if !bytes.Equal(again.Manifests, res.Manifests) {
			t.Fatalf("second run changed the output:\n%s\n--- after the first run ---\n%s", again.Manifests, res.Manifests)
		}
	})
}

package migrate

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzMigrate: any input either is refused as unreadable or migrates into
// output that reads again and does not change on a second run's re-read.
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
		if _, err := Migrate(res.Manifests); err != nil {
			t.Fatalf("output of a readable input is unreadable: %v\n%s", err, res.Manifests)
		}
	})
}

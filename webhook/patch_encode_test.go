package webhook

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// patchEncodeSeeds are pairs of documents whose diffs exercise what the
// encoders could disagree on: integers beyond float64's precision, decimals
// and exponents (the diff keeps numbers as json.Number), null values of add
// and replace, removals, HTML and non-ASCII characters, escaped keys.
var patchEncodeSeeds = [][2]string{
	{`{"a":1}`, `{"a":2,"b":12345678901234567890,"c":1.50,"d":1e21,"e":-0.0}`},
	{`{"a":{"x":[1,2,3]}}`, `{"a":{"x":[1]},"n":null}`},
	{`{"a":"v","b":[{"k":1}]}`, `{"a":null,"b":[{"k":null},{"<&>":"\u2028é\ud83d\ude00"}]}`},
	{`{"metadata":{"annotations":{"a/b~c":"1"}}}`, `{"metadata":{"annotations":{"a/b~c":"2","kvenv.io/status":"injected"}}}`},
	{`{"a":[]}`, `{"a":{},"b":true,"c":false,"d":""}`},
}

// TestEncodedPatchMatchesComplete: encodePatch writes the same operations
// Response.Complete would, numbers as numbers and nulls where RFC 6902 needs
// them.
func TestEncodedPatchMatchesComplete(t *testing.T) {
	for _, seed := range patchEncodeSeeds {
		checkEncodedPatch(t, []byte(seed[0]), []byte(seed[1]))
	}
}

func FuzzEncodePatch(f *testing.F) {
	for _, seed := range patchEncodeSeeds {
		f.Add([]byte(seed[0]), []byte(seed[1]))
	}
	f.Fuzz(func(t *testing.T, before, after []byte) {
		var a, b map[string]any
		if json.Unmarshal(before, &a) != nil || json.Unmarshal(after, &b) != nil {
			return
		}
		checkEncodedPatch(t, before, after)
	})
}

func checkEncodedPatch(t *testing.T, before, after []byte) {
	t.Helper()
	// One diff, encoded both ways: the diff's own order follows Go's map
	// iteration and differs from one call to the next.
	want := admission.PatchResponseFromRaw(before, after)
	got := want
	got.Patches = slices.Clone(want.Patches)
	if err := want.Complete(admission.Request{}); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if err := encodePatch(&got); err != nil {
		t.Fatalf("encodePatch(%s → %s): %v", before, after, err)
	}
	if len(got.Patches) != 0 {
		t.Errorf("encodePatch left %d operations for Complete to encode again", len(got.Patches))
	}
	if err := got.Complete(admission.Request{}); err != nil {
		t.Fatalf("Complete after encodePatch: %v", err)
	}
	if !reflect.DeepEqual(got.PatchType, want.PatchType) {
		t.Errorf("patch type %v, want %v", got.PatchType, want.PatchType)
	}
	if !reflect.DeepEqual(decodeNumbers(t, got.Patch), decodeNumbers(t, want.Patch)) {
		t.Errorf("%s → %s:\nencodePatch: %s\nComplete:    %s", before, after, got.Patch, want.Patch)
	}
}

// decodeNumbers decodes with numbers kept as written: 1 and "1" differ, and
// so do 1.50 and 1.5 only if an encoder rewrote one of them.
func decodeNumbers(t *testing.T, doc []byte) any {
	t.Helper()
	if doc == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, doc)
	}
	return v
}

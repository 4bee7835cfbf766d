package imageconfig

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// panickingTransport stands for any bug a registry's answer could hit below
// the look-up (parsing, authentication, a library's own panic).
type panickingTransport struct{}

func (panickingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	panic("a bug below the look-up")
}

// TestPanicInALookUpFailsThatLookUpOnly: the look-up runs in singleflight's
// goroutine, which re-raises a panic where no caller can recover it; the
// test binary itself would die without the resolver's own recover.
func TestPanicInALookUpFailsThatLookUpOnly(t *testing.T) {
	r, _ := newResolver(t, Options{Transport: panickingTransport{}})
	_, err := r.Resolve(context.Background(), imageRequest("registry.example/app:1"))
	if err == nil {
		t.Fatal("a look-up that panicked gave an answer")
	}
	for _, want := range []string{`container "app"`, "registry.example/app:1", "failed internally", "webhook's log"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q\nlacks %q", err, want)
		}
	}
}

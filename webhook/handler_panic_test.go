package webhook_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kvenv/kvenv/webhook"
)

// panickingResolver stands for a bug in an image look-up.
type panickingResolver struct{}

func (panickingResolver) Resolve(context.Context, webhook.ImageRequest) (webhook.ImageCommand, error) {
	panic("a bug in the look-up")
}

// TestPanicInAnImageLookUpIsAnErrorAnswer: look-ups run in goroutines of
// their own, where the handler's recover does not reach; without a recover
// there, the panic would end the test binary (and a webhook replica).
func TestPanicInAnImageLookUpIsAnErrorAnswer(t *testing.T) {
	cfg := webhook.DefaultConfig()
	cfg.InjectorImage = "registry.example/kvenv:v1.0.0"
	h := &webhook.Handler{Config: cfg, Namespaces: staticNamespaces{}, Images: panickingResolver{}}
	pod := fuzzedPod(webhook.AnnotationClientID, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "", "", 0) // no command: a look-up
	answer := decodeAnswer(t, serveReview(h, "application/json", reviewOf(t, pod)).Body.Bytes())
	if answer.Allowed || answer.Result.Code != http.StatusInternalServerError {
		t.Fatalf("want an error answer (500, so the failure policy applies), got allowed=%v result=%+v", answer.Allowed, answer.Result)
	}
	if msg := answer.Result.Message; !strings.Contains(msg, `container "app"`) || !strings.Contains(msg, "webhook's log") {
		t.Errorf("the answer %q does not name the container and where the details are", msg)
	}
}

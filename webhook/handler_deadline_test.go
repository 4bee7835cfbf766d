package webhook_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kvenv/kvenv/webhook"
)

// stalledResolver stands for a registry that never answers: every look-up
// waits until the admission gives up on it.
type stalledResolver struct{}

func (stalledResolver) Resolve(ctx context.Context, r webhook.ImageRequest) (webhook.ImageCommand, error) {
	<-ctx.Done()
	return webhook.ImageCommand{}, fmt.Errorf("container %q: image %q: no answer (%v)", r.Container, r.Image, ctx.Err())
}

// TestSlowImagesAreDeniedWithinOneDeadline: a pod with more images without
// `command` than are looked up at once, all on registries that do not
// answer, is denied within one images deadline, not one per wave of
// look-ups (two waves of the default would reach the API server's timeout
// before kvenv's denial); the images never looked up are named.
func TestSlowImagesAreDeniedWithinOneDeadline(t *testing.T) {
	const deadline = 500 * time.Millisecond
	pod := podToInject(9) // 10 containers: 8 look-ups at once, 2 left waiting
	for i := range pod.Spec.Containers {
		pod.Spec.Containers[i].Command = nil
		pod.Spec.Containers[i].Image = fmt.Sprintf("registry.example/slow-%d:1", i)
	}
	h := &webhook.Handler{Config: fuzzConfig(), Namespaces: staticNamespaces{}, Images: stalledResolver{}, ImagesDeadline: deadline}

	start := time.Now()
	resp := admit(t, h, pod)
	took := time.Since(start)

	if resp.Allowed {
		t.Fatal("a pod whose images could not be looked up was allowed")
	}
	// A second wave would need a second deadline; the slack before it is
	// the whole deadline, so a loaded machine does not fail this.
	if took >= 2*deadline {
		t.Errorf("denied after %v; want within one deadline (%v), not one per wave", took, deadline)
	}
	msg := resp.Result.Message
	t.Log(msg)
	if n := strings.Count(msg, "too many images"); n != 2 {
		t.Errorf("%d images denied as not looked up, want the 2 beyond the 8 looked up at once", n)
	}
	for _, c := range pod.Spec.Containers[8:] {
		for _, want := range []string{fmt.Sprintf("container %q", c.Name), c.Image, "set `command`"} {
			if !strings.Contains(msg, want) {
				t.Errorf("denial lacks %q for the image not looked up", want)
			}
		}
	}
}

package webhook_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kvenv/kvenv/internal/layout"
	"github.com/kvenv/kvenv/webhook"
)

// podStream is a steady stream of annotated pod creations, as a rollout of
// many replicas makes: a few workers creating pods one after another until
// stopped or `limit` pods are made. Every create must succeed, and every
// created pod must be mutated.
type podStream struct {
	created atomic.Int64
	limit   int64
	stop    chan struct{}
	wg      sync.WaitGroup

	mu     sync.Mutex
	faults []string // failed creates and unmutated pods
}

func startStream(t *testing.T, c kubernetes.Interface, ns string, workers int, limit int64) *podStream {
	s := &podStream{limit: limit, stop: make(chan struct{})}
	for range workers {
		s.wg.Go(func() { s.work(c, ns) })
	}
	t.Cleanup(s.halt)
	return s
}

func (s *podStream) work(c kubernetes.Interface, ns string) {
	for s.created.Load() < s.limit {
		select {
		case <-s.stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		pod, err := c.CoreV1().Pods(ns).Create(ctx, annotatedPod("app"), metav1.CreateOptions{})
		cancel()
		switch {
		case err != nil:
			s.fault("create failed: %v", err)
		case pod.Annotations[webhook.AnnotationStatus] != webhook.StatusInjected ||
			len(pod.Spec.InitContainers) == 0 || pod.Spec.InitContainers[0].Name != layout.InitContainerName:
			s.fault("pod %s created without kvenv", pod.Name)
		default:
			s.created.Add(1)
		}
	}
}

func (s *podStream) fault(format string, a ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fmt.Sprintf(format, a...))
}

// waitFor blocks until n more pods than now were created, failing the test
// if that takes more than a minute or the stream stopped.
func (s *podStream) waitFor(t *testing.T, n int64) {
	t.Helper()
	want := s.created.Load() + n
	deadline := time.Now().Add(time.Minute)
	for s.created.Load() < want {
		if time.Now().After(deadline) || s.created.Load() >= s.limit {
			t.Fatalf("the stream made %d pods, want %d (limit %d) within a minute; faults: %v", s.created.Load(), want, s.limit, firstFew(s.faultList()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// finish stops the stream and returns how many pods it made and its faults.
func (s *podStream) finish() (int64, []string) {
	s.halt()
	return s.created.Load(), s.faultList()
}

func (s *podStream) halt() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.wg.Wait()
}

func (s *podStream) faultList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.faults...)
}

// firstFew keeps failure messages readable: the first three and a count.
func firstFew(faults []string) []string {
	if len(faults) <= 3 {
		return faults
	}
	return append(faults[:3:3], fmt.Sprintf("... and %d more", len(faults)-3))
}

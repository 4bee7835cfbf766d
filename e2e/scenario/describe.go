package scenario

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kvenv/kvenv/internal/leakcheck"
)

// logTailLines is how much of each container log a failure shows.
const logTailLines = int64(20)

// DescribePods summarizes every pod of namespace with the end of each
// container's log, for failure messages. Any credential that shows up is
// replaced, so a failure report never becomes the leak.
func (s *Scenario) DescribePods(namespace string) string {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	pods, err := s.Cluster.Client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Sprintf("\n(listing the pods of %s: %v)", namespace, err)
	}
	var b strings.Builder
	for _, p := range pods.Items {
		fmt.Fprintf(&b, "\npod %s/%s: %s", p.Namespace, p.Name, PodSummary(&p))
		for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
			log, err := s.Cluster.Client.CoreV1().Pods(p.Namespace).GetLogs(p.Name,
				&corev1.PodLogOptions{Container: c.Name, TailLines: ptr.To(logTailLines)}).DoRaw(ctx)
			fmt.Fprintf(&b, "\n  log of %s (%v):\n%s", c.Name, err, indent(string(log)))
		}
	}
	return s.Redact(b.String())
}

// PodSummary is a pod's phase and each container's state, on one line.
func PodSummary(p *corev1.Pod) string {
	sum := fmt.Sprintf("phase=%s", p.Status.Phase)
	for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		sum += fmt.Sprintf(" [%s ready=%v restarts=%d %s]", cs.Name, cs.Ready, cs.RestartCount, stateString(cs.State))
	}
	return sum
}

func stateString(st corev1.ContainerState) string {
	switch {
	case st.Running != nil:
		return "running"
	case st.Terminated != nil:
		return fmt.Sprintf("terminated exit=%d reason=%s", st.Terminated.ExitCode, st.Terminated.Reason)
	case st.Waiting != nil:
		return fmt.Sprintf("waiting reason=%s message=%q", st.Waiting.Reason, st.Waiting.Message)
	}
	return "unknown"
}

// Redact replaces every credential in text, also where the text carries it
// escaped or encoded: the password holds a quote and a backslash, which a
// JSON log line or an object's message escapes.
func (s *Scenario) Redact(text string) string {
	return leakcheck.Redact(text, s.creds.Values()...)
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

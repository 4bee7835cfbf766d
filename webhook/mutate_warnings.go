package webhook

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// warningsFor lists what the pod's author should know although kvenv
// accepts the pod. Each warning is one short sentence, as the API server
// truncates long ones.
func warningsFor(pod *corev1.Pod, m *mutation) []string {
	var w []string
	if m.req.clientID == "" && !m.identity.found && pod.Labels[workloadIdentityLabel] != "true" {
		w = append(w, "kvenv: no workload identity and no "+AnnotationClientID+
			": kvenv-init signs in with the node's managed identity, which every pod on the node shares; use workload identity")
	}
	for _, c := range m.targets {
		w = append(w, overrideWarnings(c, m.req)...)
		w = append(w, expansionWarnings(c, m.req)...)
	}
	if m.access.worldReadable {
		w = append(w, "kvenv: value files are world-readable (mode 0444) and only the volume mount guards them: set runAsUser or fsGroup for tighter files")
	}
	return capWarnings(w)
}

// maxWarnings keeps kvenv's warnings within what the API server passes on
// (it truncates and then drops warnings past 4 KiB in all); the answer then
// stays small however many containers and references a pod has.
const maxWarnings = 10

func capWarnings(w []string) []string {
	if len(w) <= maxWarnings {
		return w
	}
	return append(w[:maxWarnings-1], fmt.Sprintf("kvenv: %d more warnings like the ones above", len(w)-maxWarnings+1))
}

// overrideWarnings: a variable set both in the pod spec and by kvenv gets
// kvenv's value, which may surprise whoever reads the spec.
func overrideWarnings(c *corev1.Container, req request) []string {
	var w []string
	for _, r := range req.refs {
		for _, e := range c.Env {
			if e.Name == r.Env {
				w = append(w, fmt.Sprintf("kvenv: container %s sets env %s, which kvenv overrides with %s%s", c.Name, r.Env, AnnotationEnvPrefix, r.Env))
				break
			}
		}
	}
	return w
}

// expansionWarnings: Kubernetes expands $(VAR) in command and args before
// the wrapper runs, from the pod spec's env only, so the program never sees
// kvenv's value there.
func expansionWarnings(c *corev1.Container, req request) []string {
	argv := strings.Join(append(append([]string(nil), c.Command...), c.Args...), "\x00")
	var w []string
	for _, r := range req.refs {
		if strings.Contains(argv, "$("+r.Env+")") {
			w = append(w, fmt.Sprintf("kvenv: container %s uses $(%s), which Kubernetes expands before kvenv sets it: use sh -c with \"$%s\"",
				c.Name, r.Env, r.Env))
		}
	}
	return w
}

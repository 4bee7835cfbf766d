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
	if signsInAsNode(m) && !asksForWorkloadIdentity(pod) {
		w = append(w, "kvenv: no workload identity and no "+AnnotationClientID+
			": kvenv-init signs in with the node's managed identity, which every pod on the node shares; use workload identity")
	}
	// Before the per-container warnings, which capWarnings may cut.
	w = append(w, sharedProcessWarnings(pod, m.targets)...)
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

// sharedProcessWarnings: with shareProcessNamespace, a container that is not
// a target and runs as a target's user reads the values through
// /proc/<pid>/environ and /proc/<pid>/root/kvenv without mounting kvenv's
// volume, so leaving it out of kvenv.io/containers does not keep them from it.
func sharedProcessWarnings(pod *corev1.Pod, targets []*corev1.Container) []string {
	if pod.Spec.ShareProcessNamespace == nil || !*pod.Spec.ShareProcessNamespace {
		return nil
	}
	others := nonTargetsBesideTargets(pod, targets)
	if len(others) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("kvenv: shareProcessNamespace lets containers %s (not targets) read the values via /proc if run as a target's UID: "+
		"drop shareProcessNamespace, use another runAsUser, or accept it", shortNameList(others, maxNamesBytes))}
}

// nonTargetsBesideTargets names the containers that are not targets and may
// run while a target runs: every app container and native sidecar (whether
// one outlives the targets depends on timing, so it counts), and a plain
// init container that starts after a target native sidecar. kvenv-init,
// placed first, is such a plain init container that starts before them all.
func nonTargetsBesideTargets(pod *corev1.Pod, targets []*corev1.Container) []string {
	isTarget := make(map[string]bool, len(targets))
	for _, c := range targets {
		isTarget[c.Name] = true
	}
	var names []string
	sidecarTargetStarted := false
	for _, c := range pod.Spec.InitContainers {
		switch {
		case isTarget[c.Name]:
			sidecarTargetStarted = sidecarTargetStarted || isNativeSidecar(c)
		case isNativeSidecar(c) || sidecarTargetStarted:
			names = append(names, c.Name)
		}
	}
	for _, c := range pod.Spec.Containers {
		if !isTarget[c.Name] {
			names = append(names, c.Name)
		}
	}
	return names
}

func isNativeSidecar(c corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// maxNamesBytes keeps the shared-process warning under the API server's
// 256 bytes however long and many the container names are.
const maxNamesBytes = 60

// shortNameList joins names while they fit in limit bytes and counts the
// rest; the first name is always shown (a container name has at most 63).
func shortNameList(names []string, limit int) string {
	shown := names[0]
	for i, n := range names[1:] {
		if len(shown)+len(", ")+len(n) > limit {
			return fmt.Sprintf("%s and %d more", shown, len(names)-1-i)
		}
		shown += ", " + n
	}
	return shown
}

package webhook

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// Result says what Mutate did.
type Result struct {
	// Changed is false for skipped pods and for pods already converged.
	Changed bool
	// Warnings are admission warnings: the pod is allowed, but its author
	// should know (each under 256 bytes, the API server's advice).
	Warnings []string
}

// Mutate injects kvenv into pod. It is pure: no clients, no I/O; every fact
// it cannot read from the pod comes in `in`. It converges instead of
// checking a marker, so mutating its own output changes nothing, whichever
// other webhooks ran in between: the volume and mounts are replaced by name,
// the init container is rebuilt from the annotations and the current pod and
// placed first, and a container whose command already starts with the
// wrapper keeps it.
//
// A bad pod is left untouched and the error is a *Denial listing every
// problem. An invalid cfg is a plain error.
func Mutate(pod *corev1.Pod, in Inputs, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, fmt.Errorf("kvenv configuration: %w", err)
	}
	if skipped(pod.Annotations) {
		return Result{}, nil
	}
	work := copyForMutation(pod)
	m, err := planMutation(work, in, cfg)
	if err != nil {
		return Result{}, err
	}
	m.apply(work, cfg)
	changed := !sameMutableFields(pod, work)
	*pod = *work
	return Result{Changed: changed, Warnings: m.warnings}, nil
}

// mutation is everything Mutate will change, decided before anything changes.
type mutation struct {
	req      request
	targets  []*corev1.Container // point into the pod being mutated
	argv     []argv              // new command and args, one per target
	access   fileAccess
	identity workloadIdentity
	warnings []string
}

type argv struct{ command, args []string }

func planMutation(pod *corev1.Pod, in Inputs, cfg Config) (*mutation, error) {
	var probs problems
	m := &mutation{}
	m.req, m.targets = checkWithoutImages(pod, in, cfg, &probs)
	m.argv = wrappedCommands(m.targets, in.Images, &probs)
	if err := probs.err(); err != nil {
		return nil, err
	}
	m.identity = findWorkloadIdentity(m.targets)
	requireWorkloadIdentity(pod, m)
	m.access = chooseFileAccess(pod, m.targets)
	m.warnings = warningsFor(pod, m)
	return m, nil
}

// checkWithoutImages runs every check that needs no image ENTRYPOINT, and
// returns the parsed annotations and the targets. ImageRequests runs it
// too, so that a pod denied anyway is denied for all its problems at once,
// before and without any registry look-up.
func checkWithoutImages(pod *corev1.Pod, in Inputs, cfg Config, probs *problems) (request, []*corev1.Container) {
	req := parseRequest(pod.Annotations, namespaceOf(pod, in), cfg, probs)
	checkReserved(pod, probs)
	checkPlatform(pod, cfg, probs)
	targets, known := targetsOf(pod, req, probs)
	if known {
		checkMountsOutsideTargets(pod, targets, probs)
	}
	for _, c := range targets {
		checkMounts(c, probs)
	}
	return req, targets
}

// wrappedCommands is the new command and args of each target, in order;
// a target whose image ENTRYPOINT is missing from images is a problem.
func wrappedCommands(targets []*corev1.Container, images map[string]ImageCommand, probs *problems) []argv {
	out := make([]argv, 0, len(targets))
	for _, c := range targets {
		command, args := wrapCommand(c, images, probs)
		out = append(out, argv{command, args})
	}
	return out
}

func (m *mutation) apply(pod *corev1.Pod, cfg Config) {
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[AnnotationStatus] = StatusInjected
	ensureVolume(&pod.Spec, cfg.VolumeSizeLimit)
	for i, c := range m.targets {
		c.Command, c.Args = m.argv[i].command, m.argv[i].args
		ensureMount(c)
	}
	// Built after the targets are final and placed last: moving init
	// containers invalidates the target pointers.
	placeFirst(&pod.Spec, initContainer(m, cfg))
}

func namespaceOf(pod *corev1.Pod, in Inputs) namespaceFacts {
	name := in.Namespace
	if name == "" {
		name = pod.Namespace
	}
	return namespaceFacts{name: name, annotations: in.NamespaceAnnotations}
}

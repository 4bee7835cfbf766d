package migrate

import (
	"fmt"
	"strconv"

	yaml "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
)

// templatePaths says where each workload kind keeps its pod template; a Pod
// is its own template.
var templatePaths = map[string]struct {
	group string
	path  []string
}{
	"Pod":         {"", nil},
	"Deployment":  {"apps", []string{"spec", "template"}},
	"StatefulSet": {"apps", []string{"spec", "template"}},
	"DaemonSet":   {"apps", []string{"spec", "template"}},
	"ReplicaSet":  {"apps", []string{"spec", "template"}},
	"Job":         {"batch", []string{"spec", "template"}},
	"CronJob":     {"batch", []string{"spec", "jobTemplate", "spec", "template"}},
}

// workload is an object with a pod template: the node to edit and its typed
// reading to analyse. The two agree index for index (env entries, volumes).
type workload struct {
	obj      *object
	node     *yaml.Node // the template: a mapping with metadata and spec
	template corev1.PodTemplateSpec
	// aliased: the template takes part in a YAML alias (&anchor, *alias),
	// so an edit could change other parts of the document or break them.
	aliased bool

	// What the first pass decided (see Migrate); plan is nil for a
	// workload left as is.
	plan       *plan
	removedEnv map[string]bool // container key + "/" + env index
	removedVol map[int]bool    // volume indexes
	held       []Finding       // the first pass's report lines, said in the second
}

// asWorkload returns nil for objects that hold no pod template.
func asWorkload(o *object) (*workload, error) {
	where, ok := templatePaths[o.kind]
	if !ok || where.group != o.group() {
		return nil, nil
	}
	n := path(o.node, where.path...)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	w := &workload{obj: o, node: n, aliased: sharesNodes(o.doc.node, n)}
	if err := decode(n, &w.template); err != nil {
		return nil, fmt.Errorf("%s: pod template: %w", o, err)
	}
	return w, nil
}

// container is one container of the pod template and where it sits.
type container struct {
	field string // "initContainers" or "containers"
	index int
	c     *corev1.Container
}

func (w *workload) containers() []container {
	var out []container
	for i := range w.template.Spec.InitContainers {
		out = append(out, container{"initContainers", i, &w.template.Spec.InitContainers[i]})
	}
	for i := range w.template.Spec.Containers {
		out = append(out, container{"containers", i, &w.template.Spec.Containers[i]})
	}
	return out
}

// containerNode is the node of container ct inside the template.
func (w *workload) containerNode(ct container) *yaml.Node {
	seq := path(w.node, "spec", ct.field)
	if seq == nil || ct.index >= len(seq.Content) {
		return nil
	}
	return seq.Content[ct.index]
}

// strings are the values Kubernetes or the program could use to name a path
// or a variable: command, args, env values and the working directory.
func (ct container) strings() []string {
	out := append(append([]string{}, ct.c.Command...), ct.c.Args...)
	for _, e := range ct.c.Env {
		out = append(out, e.Value)
	}
	return append(out, ct.c.WorkingDir)
}

// remainingUses are the Secret references the template keeps in the output.
func (w *workload) remainingUses() []secretUse {
	return secretUses(w, func(ct container, i int) bool { return w.removedEnv[envKey(ct, i)] })
}

// envKey names env entry i of container ct.
func envKey(ct container, i int) string { return ct.key() + "/" + strconv.Itoa(i) }

// hasWorkloadIdentity says why the pods would have a workload identity,
// which kvenv prefers to the node's identity, or "".
func (w *workload) hasWorkloadIdentity() string {
	if w.template.Labels[workloadIdentityLabel] == "true" {
		return fmt.Sprintf("the pod template has label %s: \"true\"", workloadIdentityLabel)
	}
	for _, ct := range w.containers() {
		for _, e := range ct.c.Env {
			if e.Name == federatedTokenEnv {
				return fmt.Sprintf("container %s sets %s", ct.c.Name, federatedTokenEnv)
			}
		}
	}
	return ""
}

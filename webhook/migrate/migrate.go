package migrate

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Result is the rewritten manifests and what happened to each part.
type Result struct {
	Manifests []byte
	Findings  []Finding
}

// Migrate reads manifests (multi-document YAML; kind List too) and returns
// them with every env entry that reads a SecretProviderClass-synced Secret,
// and that kvenv can serve, replaced by kvenv.io annotations on the pod
// template. The error is only for input that cannot be read; everything else
// is in Result.Findings.
func Migrate(manifests []byte) (Result, error) {
	docs, err := readDocuments(manifests)
	if err != nil {
		return Result{}, err
	}
	r := &run{classes: map[classKey]*providerClass{}}
	var workloads []*workload
	for _, d := range docs {
		for _, o := range d.objects {
			if err := r.index(o, &workloads); err != nil {
				return Result{}, err
			}
		}
	}
	// Two passes: a CSI volume may go only if no other workload still reads
	// the Secret it keeps synced, which is known once every workload's
	// env entries are decided.
	for _, w := range workloads {
		r.planWorkload(w)
	}
	for _, w := range workloads {
		r.finishWorkload(w, workloads)
	}
	r.markNeeded(workloads)
	r.dropClasses()
	out, err := writeDocuments(docs)
	if err != nil {
		return Result{}, err
	}
	return Result{Manifests: out, Findings: r.findings}, nil
}

type classKey struct{ namespace, name string }

// run is one migration: the classes and facts gathered from the input.
type run struct {
	classes    map[classKey]*providerClass
	classOrder []*providerClass
	configMaps []*corev1.ConfigMap
	namespaces map[string]map[string]string // labels of the Namespaces in the input
	noted      map[string]bool              // namespaces already told to opt in
	findings   []Finding
}

func (r *run) add(level Level, o fmt.Stringer, format string, args ...any) {
	r.findings = append(r.findings, Finding{Level: level, Object: o.String(), Message: fmt.Sprintf(format, args...)})
}

// index reads the objects migrate needs to know about.
func (r *run) index(o *object, workloads *[]*workload) error {
	switch {
	case o.kind == "SecretProviderClass" && o.group() == spcGroup:
		c, err := parseProviderClass(o)
		if err != nil {
			return err
		}
		r.classes[classKey{o.namespace, o.name}] = c
		r.classOrder = append(r.classOrder, c)
	case o.kind == "ConfigMap" && o.apiVersion == "v1":
		cm := &corev1.ConfigMap{}
		if err := decode(o.node, cm); err != nil {
			return fmt.Errorf("%s: %w", o, err)
		}
		r.configMaps = append(r.configMaps, cm)
	case o.kind == "Namespace" && o.apiVersion == "v1":
		ns := &corev1.Namespace{}
		if err := decode(o.node, ns); err != nil {
			return fmt.Errorf("%s: %w", o, err)
		}
		if r.namespaces == nil {
			r.namespaces = map[string]map[string]string{}
		}
		r.namespaces[ns.Name] = ns.Labels
	default:
		w, err := asWorkload(o)
		if err != nil {
			return err
		}
		if w != nil {
			*workloads = append(*workloads, w)
		}
	}
	return nil
}

// classesSyncing are the classes whose secretObjects create a Secret with
// this name in namespace ns: those of ns itself, else those that may end up
// there (see sameNamespace).
func (r *run) classesSyncing(ns, secret string) []*providerClass {
	return r.classesWhere(ns, func(c *providerClass) bool { _, ok := c.secrets[secret]; return ok })
}

// classesNamed are the classes a pod of namespace ns mounts under name. Of
// two manifests of one class, the later one is what kubectl leaves applied.
func (r *run) classesNamed(ns, name string) []*providerClass {
	if c := r.classes[classKey{ns, name}]; c != nil {
		return []*providerClass{c}
	}
	return r.classesWhere(ns, func(c *providerClass) bool { return c.obj.name == name })
}

// classesWhere are the classes that match and are in namespace ns; failing
// those, the ones that may be there once applied.
func (r *run) classesWhere(ns string, match func(*providerClass) bool) []*providerClass {
	var exact, maybe []*providerClass
	for _, c := range r.classesMatching(match) {
		switch {
		case c.obj.namespace == ns:
			exact = append(exact, c)
		case sameNamespace(c.obj.namespace, ns):
			maybe = append(maybe, c)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return maybe
}

// classesMatching are the classes of the input that match, in input order.
func (r *run) classesMatching(match func(*providerClass) bool) []*providerClass {
	var out []*providerClass
	for _, c := range r.classOrder {
		if match(c) {
			out = append(out, c)
		}
	}
	return out
}

// sameNamespace: an object without metadata.namespace goes where it is
// applied (kubectl apply -n NS), so it may share the other's namespace.
func sameNamespace(a, b string) bool { return a == b || a == "" || b == "" }

// dropClasses removes every translatable class that no workload in the
// output still needs, and says what that means in the cluster.
func (r *run) dropClasses() {
	for _, c := range r.classOrder {
		if c.blocker != "" {
			r.add(LeftAsIs, c.obj, "kept in the output: %s", c.blocker)
			continue
		}
		if len(c.neededBy) > 0 {
			r.add(Note, c.obj, "kept in the output: still used by %s", strings.Join(uniq(c.neededBy), ", "))
			continue
		}
		if anchorsUsedOutside(c.obj.doc.node, c.obj.node) {
			r.add(Note, c.obj, "kept in the output although nothing in it needs it any more: it holds a YAML anchor that an alias elsewhere in the document names; "+
				"write the alias out in full, then delete the SecretProviderClass")
			continue
		}
		c.obj.dropped, c.obj.doc.changed = true, true
		msg := "dropped from the output: nothing in it needs it any more. kubectl apply does not delete it from the cluster: " +
			"once no pod mounts it, run kubectl delete secretproviderclass %s%s"
		ns := ""
		if c.obj.namespace != "" {
			ns = " -n " + c.obj.namespace
		}
		if names := c.secretNames(); len(names) > 0 {
			msg += "; the driver deletes the Secret it synced (" + strings.Join(names, ", ") + ") with the last pod that mounts it"
		}
		r.add(Note, c.obj, msg, c.obj.name, ns)
	}
}

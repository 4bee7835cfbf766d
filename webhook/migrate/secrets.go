package migrate

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// secretUse is one place where a pod template names a Secret.
type secretUse struct {
	secret string
	where  string // for the report: "env DB of container app"
}

// secretUses lists every Secret reference of the template, except the env
// entries skip says are going away. A Secret that is still referenced must
// keep being synced, so its CSI volume must stay.
func secretUses(w *workload, skip func(ct container, envIndex int) bool) []secretUse {
	var uses []secretUse
	for _, ct := range w.containers() {
		for i, e := range ct.c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && !skip(ct, i) {
				uses = append(uses, secretUse{e.ValueFrom.SecretKeyRef.Name, fmt.Sprintf("env %s of container %s", e.Name, ct.c.Name)})
			}
		}
		for _, ef := range ct.c.EnvFrom {
			if ef.SecretRef != nil {
				uses = append(uses, secretUse{ef.SecretRef.Name, "envFrom of container " + ct.c.Name})
			}
		}
	}
	for _, v := range w.template.Spec.Volumes {
		uses = append(uses, volumeSecretUses(v)...)
	}
	for _, ps := range w.template.Spec.ImagePullSecrets {
		uses = append(uses, secretUse{ps.Name, "imagePullSecrets"})
	}
	return uses
}

func volumeSecretUses(v corev1.Volume) []secretUse {
	var uses []secretUse
	if v.Secret != nil {
		uses = append(uses, secretUse{v.Secret.SecretName, "volume " + v.Name})
	}
	if v.Projected != nil {
		for _, src := range v.Projected.Sources {
			if src.Secret != nil {
				uses = append(uses, secretUse{src.Secret.Name, "projected volume " + v.Name})
			}
		}
	}
	return uses
}

// csiClassName returns the SecretProviderClass a Secrets Store CSI volume
// mounts; ok is false for every other volume.
func csiClassName(v corev1.Volume) (name string, ok bool) {
	if v.CSI == nil || v.CSI.Driver != csiDriver {
		return "", false
	}
	return v.CSI.VolumeAttributes["secretProviderClass"], true
}

// classesUsedBy are the classes of the input a workload mounts or whose
// synced Secrets it reads, in order of first use. resolved is false when a
// volume's class cannot be told for certain (reported): the workload is
// then left as is.
func (r *run) classesUsedBy(w *workload) (classes []*providerClass, resolved bool) {
	use := func(c *providerClass) {
		if slices.Contains(classes, c) {
			return
		}
		classes = append(classes, c)
		r.noteAssumedNamespace(w, c)
	}
	resolved = true
	ns := w.obj.namespace
	for _, v := range w.template.Spec.Volumes {
		name, ok := csiClassName(v)
		if !ok {
			continue
		}
		found := r.classesNamed(ns, name)
		switch {
		case name == "":
			r.add(LeftAsIs, w.obj, "volume %s uses the CSI driver without volumeAttributes.secretProviderClass", v.Name)
		case len(found) == 1:
			use(found[0])
		case len(found) > 1:
			resolved = false
			r.add(LeftAsIs, w.obj, "volume %s mounts SecretProviderClass %s, which the input has in namespaces %s, and the workload names no namespace: "+
				"give it its metadata.namespace and run migrate again", v.Name, name, strings.Join(namespacesOf(found), ", "))
		default:
			r.add(LeftAsIs, w.obj, "volume %s mounts SecretProviderClass %s, %s", v.Name, name, r.missingClass(ns, name))
		}
	}
	for _, u := range secretUses(w, func(container, int) bool { return false }) {
		for _, c := range r.classesSyncing(ns, u.secret) {
			use(c)
		}
	}
	return classes, resolved
}

// missingClass says why no class of the input matches: none of that name,
// or only in other namespaces, and a pod mounts the class of its own.
func (r *run) missingClass(ns, name string) string {
	elsewhere := r.classesMatching(func(c *providerClass) bool { return c.obj.name == name })
	if len(elsewhere) == 0 {
		return "which is not in the input: pass its manifest too (-f spc.yaml -f app.yaml)"
	}
	return fmt.Sprintf("but the input has it only in namespace %s, and a pod mounts the SecretProviderClass of its own namespace (%s): "+
		"pass the one of namespace %s too", strings.Join(namespacesOf(elsewhere), ", "), ns, ns)
}

func namespacesOf(classes []*providerClass) []string {
	var out []string
	for _, c := range classes {
		out = append(out, c.obj.namespace)
	}
	return uniq(out)
}

// noteAssumedNamespace: when the workload or the class has no namespace in
// the input, migrate takes them to share one, as kubectl apply -n puts both
// in the namespace it names; said so that the user applies them that way.
func (r *run) noteAssumedNamespace(w *workload, c *providerClass) {
	wns, cns := w.obj.namespace, c.obj.namespace
	switch {
	case wns == cns:
	case cns == "":
		r.add(Note, w.obj, "SecretProviderClass %s has no namespace in the input: taken to be in namespace %s, where kubectl apply -n %s puts it", c.obj.name, wns, wns)
	default:
		r.add(Note, w.obj, "the workload has no namespace in the input: taken to be in namespace %s with SecretProviderClass %s, where kubectl apply -n %s puts it", cns, c.obj.name, cns)
	}
}

// classesStillUsedBy are the classes the workload needs in the output: every
// class its remaining CSI volumes name, and every class that syncs a Secret
// it still reads.
func (r *run) classesStillUsedBy(w *workload) []*providerClass {
	var out []*providerClass
	for vi, v := range w.template.Spec.Volumes {
		if name, ok := csiClassName(v); ok && !w.removedVol[vi] {
			out = append(out, r.classesNamed(w.obj.namespace, name)...)
		}
	}
	for _, u := range w.remainingUses() {
		out = append(out, r.classesSyncing(w.obj.namespace, u.secret)...)
	}
	return uniq(out)
}

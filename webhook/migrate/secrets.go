package migrate

import (
	"fmt"

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
// synced Secrets it reads, in order of first use.
func (r *run) classesUsedBy(w *workload) []*providerClass {
	var out []*providerClass
	seen := map[*providerClass]bool{}
	use := func(c *providerClass) {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	ns := w.obj.namespace
	for _, v := range w.template.Spec.Volumes {
		name, ok := csiClassName(v)
		switch {
		case !ok:
		case name == "":
			r.add(LeftAsIs, w.obj, "volume %s uses the CSI driver without volumeAttributes.secretProviderClass", v.Name)
		case r.classes[classKey{ns, name}] == nil:
			r.add(LeftAsIs, w.obj, "volume %s mounts SecretProviderClass %s, which is not in the input: pass its manifest too (-f spc.yaml -f app.yaml)", v.Name, name)
		default:
			use(r.classes[classKey{ns, name}])
		}
	}
	for _, u := range secretUses(w, func(container, int) bool { return false }) {
		for _, c := range r.classesSyncing(ns, u.secret) {
			use(c)
		}
	}
	return out
}

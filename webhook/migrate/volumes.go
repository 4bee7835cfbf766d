package migrate

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// planVolumes decides, for each CSI volume of the plan's class, whether it
// can go. The CSI volume does two things: it syncs the Secret (needed only
// while something still reads that Secret: this workload, or another that
// reads it without mounting the class, elsewhere) and it puts files in the
// container (needed if anything reads them). Migrate removes it only when the
// manifests show neither; when in doubt it keeps the volume and says why.
func (r *run) planVolumes(w *workload, p *plan, elsewhere []string) {
	c := p.class
	var stillRead []string
	for _, u := range w.remainingUses() {
		if _, ok := c.secrets[u.secret]; ok {
			stillRead = append(stillRead, fmt.Sprintf("%s (Secret %s)", u.where, u.secret))
		}
	}
	isTarget := map[string]bool{}
	for _, ct := range p.targets {
		isTarget[ct.key()] = true
	}
	w.removedVol = map[int]bool{}
	for vi, v := range w.template.Spec.Volumes {
		if !r.mountsClass(w, v, c) {
			continue
		}
		reasons := append(append(append([]string{}, stillRead...), elsewhere...), r.fileReaders(w, v, isTarget)...)
		if len(reasons) > 0 {
			r.add(LeftAsIs, w.obj, "CSI volume %s of SecretProviderClass %s is kept: %s", v.Name, c.obj.name, strings.Join(uniq(reasons), "; "))
			continue
		}
		w.removedVol[vi] = true
		p.edits.volumes = append(p.edits.volumes, vi)
		r.add(Migrated, w.obj, "removed CSI volume %s of SecretProviderClass %s%s: nothing in the manifests reads its files; "+
			"put it back if the program itself reads files there", v.Name, c.obj.name, r.removeMounts(w, v, &p.edits))
	}
}

// readersElsewhere are the reads, left in the output by the other workloads
// that do not mount class c, of a Secret c syncs: the driver deletes a synced
// Secret once no pod mounts its class, so they rely on this workload's volume.
func (r *run) readersElsewhere(w *workload, c *providerClass, all []*workload) []string {
	var out []string
	for _, o := range all {
		if o == w || r.anyMounts(o, c) {
			continue
		}
		for _, u := range o.remainingUses() {
			if slices.Contains(r.classesSyncing(o.obj.namespace, u.secret), c) {
				out = append(out, fmt.Sprintf("%s reads Secret %s (%s) without mounting the class, and the driver deletes that Secret once no pod mounts the class",
					o.obj, u.secret, u.where))
			}
		}
	}
	return out
}

// removeMounts plans the removal of every mount of volume v and describes them.
func (r *run) removeMounts(w *workload, v corev1.Volume, e *edits) string {
	var where []string
	for _, ct := range w.containers() {
		for mi, m := range ct.c.VolumeMounts {
			if m.Name == v.Name {
				e.mounts[ct.key()] = append(e.mounts[ct.key()], mi)
				where = append(where, fmt.Sprintf("%s in container %s", m.MountPath, ct.c.Name))
			}
		}
	}
	if len(where) == 0 {
		return ""
	}
	return " and its mount at " + strings.Join(where, ", ")
}

// fileReaders are the signs, in the manifests, that something reads the
// files of volume v: a container that mounts it but takes none of the
// migrated variables, a mount of a single file (subPath), or the mount path
// named in a command, args, env value, working directory or ConfigMap.
func (r *run) fileReaders(w *workload, v corev1.Volume, isTarget map[string]bool) []string {
	var reasons []string
	for _, ct := range w.containers() {
		for _, m := range ct.c.VolumeMounts {
			if m.Name != v.Name {
				continue
			}
			if m.SubPath != "" || m.SubPathExpr != "" {
				reasons = append(reasons, fmt.Sprintf("container %s mounts a single file of it (subPath)", ct.c.Name))
			}
			if !isTarget[ct.key()] {
				reasons = append(reasons, fmt.Sprintf("container %s mounts it and takes none of the migrated variables, so it presumably reads the files", ct.c.Name))
			}
			reasons = append(reasons, r.pathReaders(ct, m.MountPath, w.obj.namespace)...)
		}
	}
	return reasons
}

func (r *run) pathReaders(ct container, mountPath, ns string) []string {
	var reasons []string
	for _, s := range ct.strings() {
		if strings.Contains(s, mountPath) {
			reasons = append(reasons, fmt.Sprintf("container %s names %s in its command, args, env or workingDir", ct.c.Name, mountPath))
			break
		}
	}
	for _, cm := range r.configMaps {
		if !sameNamespace(cm.Namespace, ns) {
			continue
		}
		for _, v := range cm.Data {
			if strings.Contains(v, mountPath) {
				reasons = append(reasons, fmt.Sprintf("ConfigMap %s names %s", cm.Name, mountPath))
				break
			}
		}
	}
	return reasons
}

// anyMounts reports whether the workload has a CSI volume of class c.
func (r *run) anyMounts(w *workload, c *providerClass) bool {
	for _, v := range w.template.Spec.Volumes {
		if r.mountsClass(w, v, c) {
			return true
		}
	}
	return false
}

// mountsClass reports whether volume v of w is a CSI volume of class c.
func (r *run) mountsClass(w *workload, v corev1.Volume, c *providerClass) bool {
	name, ok := csiClassName(v)
	return ok && slices.Contains(r.classesNamed(w.obj.namespace, name), c)
}

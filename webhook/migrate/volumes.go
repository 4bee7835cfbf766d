package migrate

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// planVolumes decides, for each CSI volume of class c, whether it can go.
// The CSI volume does two things: it syncs the Secret (needed only while
// something still reads that Secret) and it puts files in the container
// (needed if anything reads them). Migrate removes it only when the
// manifests show neither; when in doubt it keeps the volume and says why.
// It returns whether the workload no longer needs the class at all.
func (r *run) planVolumes(w *workload, c *providerClass, cands []candidate, targets []container, e *edits) bool {
	removed := map[string]bool{}
	for _, cand := range cands {
		removed[cand.ct.key()+"/"+strconv.Itoa(cand.envIndex)] = true
	}
	var stillRead []string
	for _, u := range secretUses(w, func(ct container, i int) bool { return removed[ct.key()+"/"+strconv.Itoa(i)] }) {
		if _, ok := c.secrets[u.secret]; ok {
			stillRead = append(stillRead, fmt.Sprintf("%s (Secret %s)", u.where, u.secret))
		}
	}
	isTarget := map[string]bool{}
	for _, ct := range targets {
		isTarget[ct.key()] = true
	}
	free := len(stillRead) == 0
	for vi, v := range w.template.Spec.Volumes {
		if n, ok := csiClassName(v); !ok || n != c.obj.name {
			continue
		}
		reasons := append(append([]string{}, stillRead...), r.fileReaders(w, v, isTarget)...)
		if len(reasons) > 0 {
			free = false
			r.add(LeftAsIs, w.obj, "CSI volume %s of SecretProviderClass %s is kept: %s", v.Name, c.obj.name, strings.Join(uniq(reasons), "; "))
			continue
		}
		e.volumes = append(e.volumes, vi)
		r.add(Migrated, w.obj, "removed CSI volume %s of SecretProviderClass %s%s: nothing in the manifests reads its files; "+
			"put it back if the program itself reads files there", v.Name, c.obj.name, r.removeMounts(w, v, e))
	}
	return free
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
		if cm.Namespace != ns {
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

// anyMounts reports whether any container mounts a CSI volume of class c.
func (r *run) anyMounts(w *workload, c *providerClass) bool {
	for _, v := range w.template.Spec.Volumes {
		if n, ok := csiClassName(v); ok && n == c.obj.name {
			return true
		}
	}
	return false
}

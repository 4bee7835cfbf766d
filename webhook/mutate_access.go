package webhook

import (
	corev1 "k8s.io/api/core/v1"
)

// nonRootUID runs the init container when no single app UID is known; it is
// the conventional "nonroot" user of minimal images.
const nonRootUID int64 = 65532

// fileAccess is who owns the value files and who may read them. doc.go
// explains the three cases.
type fileAccess struct {
	uid  int64
	gid  *int64
	mode string // --file-mode handed to the init container
	// worldReadable: the volume mount is the only boundary (warned about).
	worldReadable bool
}

// chooseFileAccess picks the tightest file mode the targets can still read.
func chooseFileAccess(pod *corev1.Pod, targets []*corev1.Container) fileAccess {
	if uid, ok := sameUser(pod, targets); ok {
		a := fileAccess{uid: uid, mode: "0400"}
		if gid, ok := sameGroup(pod, targets); ok {
			a.gid = &gid
		}
		return a
	}
	gid := nonRootUID
	if sc := pod.Spec.SecurityContext; sc != nil && sc.FSGroup != nil {
		return fileAccess{uid: nonRootUID, gid: &gid, mode: "0440"}
	}
	return fileAccess{uid: nonRootUID, gid: &gid, mode: "0444", worldReadable: true}
}

// sameUser is the effective runAsUser shared by all targets, when every
// target has one, it is the same, and it is not root.
func sameUser(pod *corev1.Pod, targets []*corev1.Container) (int64, bool) {
	return sameID(targets, func(c *corev1.Container) *int64 {
		if c.SecurityContext != nil && c.SecurityContext.RunAsUser != nil {
			return c.SecurityContext.RunAsUser
		}
		if pod.Spec.SecurityContext != nil {
			return pod.Spec.SecurityContext.RunAsUser
		}
		return nil
	}, true)
}

// sameGroup is the effective runAsGroup shared by all targets.
func sameGroup(pod *corev1.Pod, targets []*corev1.Container) (int64, bool) {
	return sameID(targets, func(c *corev1.Container) *int64 {
		if c.SecurityContext != nil && c.SecurityContext.RunAsGroup != nil {
			return c.SecurityContext.RunAsGroup
		}
		if pod.Spec.SecurityContext != nil {
			return pod.Spec.SecurityContext.RunAsGroup
		}
		return nil
	}, false)
}

func sameID(targets []*corev1.Container, effective func(*corev1.Container) *int64, nonZero bool) (int64, bool) {
	if len(targets) == 0 {
		return 0, false
	}
	var id *int64
	for _, c := range targets {
		v := effective(c)
		if v == nil || (id != nil && *v != *id) {
			return 0, false
		}
		id = v
	}
	if *id < 0 || (nonZero && *id == 0) {
		return 0, false
	}
	return *id, true
}

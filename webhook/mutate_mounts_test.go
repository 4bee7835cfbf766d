package webhook

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/internal/layout"
)

// sidecarPod is appPod with a second app container "sidecar" and a plain
// init container "setup", and kvenv.io/containers naming "app" alone.
func sidecarPod() *corev1.Pod {
	pod := appPod(map[string]string{AnnotationVault: "myvault", envX: "DbPassword", AnnotationContainers: "app"})
	pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{
		Name: "sidecar", Image: "registry.example/sidecar:1", Command: []string{"/sidecar"},
	})
	pod.Spec.InitContainers = []corev1.Container{{Name: "setup", Image: "registry.example/setup:1", Command: []string{"/setup"}}}
	return pod
}

func kvenvMount(at string) corev1.VolumeMount {
	return corev1.VolumeMount{Name: layout.VolumeName, MountPath: at}
}

// TestKvenvVolumeMountsAreDenied: kvenv's volume holds every value and the
// kvenv-exec each target runs, so a mount of it outside the targets, or a
// second one beside a target's read-only mount, would let a container read
// the values or replace what the targets run on their next start.
func TestKvenvVolumeMountsAreDenied(t *testing.T) {
	cases := []struct {
		name string
		edit func(pod *corev1.Pod)
		want []string
	}{
		{"the reported pod: a sidecar not listed and a second mount in the target", func(p *corev1.Pod) {
			p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{kvenvMount("/steal")}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{kvenvMount(layout.MountPath), kvenvMount("/rw")}
		}, []string{
			"container sidecar mounts kvenv's volume kvenv at /steal, but only kvenv's targets get that volume, read-only at /kvenv: remove that mount; to give it the values, name it in kvenv.io/containers",
			"container app mounts kvenv's volume kvenv 2 times (at /kvenv, /rw), but kvenv mounts it once, read-only at /kvenv: remove these mounts",
		}},
		{"a container not listed, read-only", func(p *corev1.Pod) {
			m := kvenvMount(layout.MountPath)
			m.ReadOnly = true
			p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{m}
		}, []string{"container sidecar mounts kvenv's volume kvenv at /kvenv"}},
		{"a container not listed, one file by subPath", func(p *corev1.Pod) {
			m := kvenvMount("/etc/kvenv-exec")
			m.SubPath = "bin/kvenv-exec"
			p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{m}
		}, []string{"container sidecar mounts kvenv's volume kvenv at /etc/kvenv-exec"}},
		{"a plain init container not listed", func(p *corev1.Pod) {
			p.Spec.InitContainers[0].VolumeMounts = []corev1.VolumeMount{kvenvMount("/out")}
		}, []string{"init container setup mounts kvenv's volume kvenv at /out", "name it in kvenv.io/containers"}},
		{"an init container beside the default targets", func(p *corev1.Pod) {
			delete(p.Annotations, AnnotationContainers)
			p.Spec.InitContainers[0].VolumeMounts = []corev1.VolumeMount{kvenvMount("/out")}
		}, []string{"init container setup mounts kvenv's volume kvenv at /out"}},
		{"a native sidecar not listed", func(p *corev1.Pod) {
			always := corev1.ContainerRestartPolicyAlways
			p.Spec.InitContainers[0].RestartPolicy = &always
			p.Spec.InitContainers[0].VolumeMounts = []corev1.VolumeMount{kvenvMount("/out")}
		}, []string{"init container setup mounts kvenv's volume kvenv at /out"}},
		{"an ephemeral container", func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "debug", Image: "registry.example/debug:1", VolumeMounts: []corev1.VolumeMount{kvenvMount("/peek")},
			}}}
		}, []string{"ephemeral container debug mounts kvenv's volume kvenv at /peek, but only kvenv's targets get that volume, read-only at /kvenv: remove that mount."}},
		{"a second mount by subPath in a target", func(p *corev1.Pod) {
			m := kvenvMount("/opt/env")
			m.SubPath = "env"
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{kvenvMount("/data"), m}
		}, []string{"container app mounts kvenv's volume kvenv 2 times (at /data, /opt/env)"}},
		{"a second mount by subPathExpr in a target init container", func(p *corev1.Pod) {
			p.Annotations[AnnotationContainers] = "setup"
			m := kvenvMount("/opt/env")
			m.SubPathExpr = "$(POD_NAME)"
			p.Spec.InitContainers[0].VolumeMounts = []corev1.VolumeMount{kvenvMount(layout.MountPath), m}
		}, []string{"container setup mounts kvenv's volume kvenv 2 times (at /kvenv, /opt/env)"}},
		{"a pod already injected that gained a mount in a container not listed", func(p *corev1.Pod) {
			mustMutate(t, p, Inputs{}, testConfig())
			p.Spec.Containers[1].VolumeMounts = append(p.Spec.Containers[1].VolumeMounts, kvenvMount("/steal"))
		}, []string{"container sidecar mounts kvenv's volume kvenv at /steal"}},
		{"a pod already injected whose target gained a second mount", func(p *corev1.Pod) {
			mustMutate(t, p, Inputs{}, testConfig())
			p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, kvenvMount("/rw"))
		}, []string{"container app mounts kvenv's volume kvenv 2 times (at /kvenv, /rw)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pod := sidecarPod()
			tc.edit(pod)
			before := mustJSON(t, pod)
			_, err := Mutate(pod, Inputs{}, testConfig())
			if err == nil {
				t.Fatalf("Mutate accepted a pod that mounts kvenv's volume outside kvenv's one read-only mount per target:\n%s", before)
			}
			msg := asDenial(t, err).Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("denial lacks %q:\n%s", w, msg)
				}
			}
			if !bytes.Equal(before, mustJSON(t, pod)) {
				t.Error("a denied pod was modified")
			}
		})
	}
}

// TestKvenvVolumeMountDeniedBeforeImageLookUps: a pod denied for such a
// mount is denied before any registry look-up, like every other problem
// found without the images.
func TestKvenvVolumeMountDeniedBeforeImageLookUps(t *testing.T) {
	pod := sidecarPod()
	pod.Spec.Containers[0].Command = nil
	pod.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{kvenvMount("/steal")}
	reqs, err := ImageRequests(pod, Inputs{}, testConfig())
	if len(reqs) != 0 {
		t.Errorf("image look-ups asked for a pod denied anyway: %+v", reqs)
	}
	if msg := asDenial(t, err).Error(); !strings.Contains(msg, "container sidecar mounts kvenv's volume kvenv at /steal") {
		t.Errorf("denial lacks the sidecar's mount:\n%s", msg)
	}
}

// TestTargetsOwnKvenvMountIsReplaced: a target's one mount of kvenv's volume
// (kvenv's own from an earlier admission, or the pod's) becomes kvenv's
// read-only mount at /kvenv, whatever path, subPath or access it had, and
// the result converges.
func TestTargetsOwnKvenvMountIsReplaced(t *testing.T) {
	for name, own := range map[string]corev1.VolumeMount{
		"writable elsewhere": kvenvMount("/rw"),
		"by subPath":         {Name: layout.VolumeName, MountPath: layout.MountPath, SubPath: "env"},
		"by subPathExpr":     {Name: layout.VolumeName, MountPath: "/opt", SubPathExpr: "$(POD_NAME)"},
	} {
		t.Run(name, func(t *testing.T) {
			pod := sidecarPod()
			data := corev1.VolumeMount{Name: "data", MountPath: "/data"}
			pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{data, own}
			pod.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{data}
			mustMutate(t, pod, Inputs{}, testConfig())
			want := corev1.VolumeMount{Name: layout.VolumeName, MountPath: layout.MountPath, ReadOnly: true}
			if got := pod.Spec.Containers[0].VolumeMounts; !reflect.DeepEqual(got, []corev1.VolumeMount{data, want}) {
				t.Errorf("app's mounts: want [%+v %+v], got %+v", data, want, got)
			}
			if got := pod.Spec.Containers[1].VolumeMounts; !reflect.DeepEqual(got, []corev1.VolumeMount{data}) {
				t.Errorf("the sidecar's mounts changed: %+v", got)
			}
			before := mustJSON(t, pod)
			if res := mustMutate(t, pod, Inputs{}, testConfig()); res.Changed || !bytes.Equal(before, mustJSON(t, pod)) {
				t.Error("mutating the result again changed it")
			}
		})
	}
}

// TestUnrelatedPodMayMountItsOwnKvenvVolume: the checks are kvenv's only
// for pods that ask for kvenv; another pod's volume named kvenv is its own.
func TestUnrelatedPodMayMountItsOwnKvenvVolume(t *testing.T) {
	pod := appPod(nil)
	pod.Spec.Volumes = []corev1.Volume{{Name: layout.VolumeName}}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{kvenvMount("/a"), kvenvMount("/b")}
	if res := mustMutate(t, pod, Inputs{}, testConfig()); res.Changed {
		t.Error("a pod without kvenv annotations was changed")
	}
}

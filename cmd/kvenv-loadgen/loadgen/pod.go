package loadgen

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// PodShape is the pod every request carries. The zero value is the
// typical kvenv pod: one container with its command set, three secret
// references.
type PodShape struct {
	Namespace  string
	Containers int    // each a target of kvenv (the default: all containers)
	Refs       int    // kvenv.io/env.* annotations
	NoCommand  bool   // leave `command` unset: the webhook must look the image up
	Image      string // the containers' image
	Vault      string // kvenv.io/vault
}

// The typical pod's shape: what an unset PodShape field and the flags of
// kvenv-loadgen default to.
const (
	DefaultNamespace  = "default"
	DefaultContainers = 1
	DefaultRefs       = 3
	DefaultImage      = "registry.example/app:1"
	DefaultVault      = "myvault"
)

func (s PodShape) withDefaults() PodShape {
	if s.Namespace == "" {
		s.Namespace = DefaultNamespace
	}
	if s.Containers == 0 {
		s.Containers = DefaultContainers
	}
	if s.Refs == 0 {
		s.Refs = DefaultRefs
	}
	if s.Image == "" {
		s.Image = DefaultImage
	}
	if s.Vault == "" {
		s.Vault = DefaultVault
	}
	return s
}

func (s PodShape) validate() error {
	var errs []error
	if s.Containers < 1 || s.Containers > 100 {
		errs = append(errs, fmt.Errorf("containers %d: want between 1 and 100", s.Containers))
	}
	if s.Refs < 1 || s.Refs > 1000 {
		errs = append(errs, fmt.Errorf("refs %d: want between 1 and 1000", s.Refs))
	}
	return errors.Join(errs...)
}

// pod builds the pod as a mutating webhook receives it: after the API
// server's defaulting and its ServiceAccount admission plugin, so the
// patch the webhook computes is as large as in a cluster. s has its
// defaults already (newReview).
func (s PodShape) pod() *corev1.Pod {
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{GenerateName: "app-7d9c5b8f6d-", Namespace: s.Namespace, Annotations: s.annotations(), Labels: map[string]string{"app": "app", "pod-template-hash": "7d9c5b8f6d"}},
		Spec: corev1.PodSpec{
			Volumes:                       []corev1.Volume{serviceAccountVolume()},
			RestartPolicy:                 corev1.RestartPolicyAlways,
			TerminationGracePeriodSeconds: ptr.To[int64](30),
			DNSPolicy:                     corev1.DNSClusterFirst,
			ServiceAccountName:            "default",
			SecurityContext:               &corev1.PodSecurityContext{},
			SchedulerName:                 corev1.DefaultSchedulerName,
			Tolerations:                   defaultTolerations(),
			Priority:                      ptr.To[int32](0),
			EnableServiceLinks:            ptr.To(true),
			PreemptionPolicy:              ptr.To(corev1.PreemptLowerPriority),
		},
	}
	for i := range s.Containers {
		pod.Spec.Containers = append(pod.Spec.Containers, s.container(i))
	}
	return pod
}

func (s PodShape) annotations() map[string]string {
	a := map[string]string{"kvenv.io/vault": s.Vault}
	for i := range s.Refs {
		a[fmt.Sprintf("kvenv.io/env.SECRET_%d", i)] = fmt.Sprintf("secret-%d", i)
	}
	return a
}

func (s PodShape) container(i int) corev1.Container {
	c := corev1.Container{
		Name:  fmt.Sprintf("app-%d", i),
		Image: s.Image,
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: int32(8080 + i), Protocol: corev1.ProtocolTCP}},
		Env:   []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
		},
		VolumeMounts:             []corev1.VolumeMount{{Name: "kube-api-access-x7k2p", ReadOnly: true, MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"}},
		TerminationMessagePath:   corev1.TerminationMessagePathDefault,
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		ImagePullPolicy:          corev1.PullIfNotPresent,
	}
	if !s.NoCommand {
		c.Command = []string{"/app", "--serve"}
		c.Args = []string{"--port", fmt.Sprint(8080 + i)}
	}
	return c
}

func serviceAccountVolume() corev1.Volume {
	return corev1.Volume{Name: "kube-api-access-x7k2p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		DefaultMode: ptr.To[int32](0o644),
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](3607)}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace",
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
		},
	}}}
}

func defaultTolerations() []corev1.Toleration {
	var ts []corev1.Toleration
	for _, key := range []string{"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"} {
		ts = append(ts, corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)})
	}
	return ts
}

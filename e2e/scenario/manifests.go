package scenario

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kvenv/kvenv/e2e/sampleapp/todo"
)

// Annotations are the app team's whole kvenv configuration, as in the
// README: the vault and one reference per variable. No value.
func (s *Scenario) Annotations() map[string]string {
	return map[string]string{
		"kvenv.io/vault":                   s.Azure.VaultURL(),
		"kvenv.io/env." + todo.EnvURL:      SecretURL,
		"kvenv.io/env." + todo.EnvUsername: SecretUsername,
		"kvenv.io/env." + todo.EnvPassword: SecretPassword,
	}
}

// WorkloadIdentity makes spec use Azure workload identity as the Azure
// Workload Identity webhook would (it does not run on this cluster): the
// AZURE_* variables in every container and the projected service-account
// token with audience api://AzureADTokenExchange. clientID is the Azure
// application the service account is federated with.
func (s *Scenario) WorkloadIdentity(spec *corev1.PodSpec, clientID string) {
	expiry := int64(3600)
	spec.Volumes = append(spec.Volumes, corev1.Volume{Name: tokenVol, VolumeSource: corev1.VolumeSource{
		Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{
			ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
				Audience: "api://AzureADTokenExchange", ExpirationSeconds: &expiry, Path: tokenFile,
			},
		}}},
	}})
	for i := range spec.Containers {
		c := &spec.Containers[i]
		c.Env = append(c.Env,
			corev1.EnvVar{Name: "AZURE_CLIENT_ID", Value: clientID},
			corev1.EnvVar{Name: "AZURE_TENANT_ID", Value: s.Tenant},
			corev1.EnvVar{Name: "AZURE_FEDERATED_TOKEN_FILE", Value: tokenDir + "/" + tokenFile},
			corev1.EnvVar{Name: "AZURE_AUTHORITY_HOST", Value: s.Azure.AuthorityHost()})
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: tokenVol, MountPath: tokenDir, ReadOnly: true})
	}
}

// PodTemplate is a pod of the app namespace using kvenv with the
// tutorial's annotations, signed in as serviceAccount with clientID.
func (s *Scenario) PodTemplate(name, serviceAccount, clientID string, containers ...corev1.Container) corev1.PodTemplateSpec {
	t := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: AppNamespace,
			Labels:      map[string]string{"app": name, "azure.workload.identity/use": "true"},
			Annotations: s.Annotations(),
		},
		Spec: corev1.PodSpec{ServiceAccountName: serviceAccount, Containers: containers, SecurityContext: restrictedPod()},
	}
	s.WorkloadIdentity(&t.Spec, clientID)
	return t
}

// appContainer runs the sample app image with no command: kvenv must read
// its ENTRYPOINT from the registry to wrap it.
func (s *Scenario) appContainer() corev1.Container {
	return corev1.Container{
		Name:  AppName,
		Image: s.AppImage,
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: todo.Port}},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}},
			PeriodSeconds: 1,
		},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			ReadOnlyRootFilesystem:   ptr.To(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
}

// restrictedPod runs every container as the images' non-root user, with
// that group owning the pod's volumes: kvenv then writes the value files
// readable by the app's user only.
func restrictedPod() *corev1.PodSecurityContext {
	id := int64(65532)
	return &corev1.PodSecurityContext{
		RunAsNonRoot: ptr.To(true), RunAsUser: &id, RunAsGroup: &id, FSGroup: &id,
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

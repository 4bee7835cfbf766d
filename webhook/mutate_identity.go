package webhook

import (
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/internal/layout"
)

// federatedTokenEnv is set, with the other workloadIdentityEnv, by the Azure
// workload identity webhook on pods that use a federated service account.
const federatedTokenEnv = "AZURE_FEDERATED_TOKEN_FILE"

// workloadIdentityEnv is copied, in this order, from an app container to the
// init container.
var workloadIdentityEnv = []string{"AZURE_CLIENT_ID", "AZURE_TENANT_ID", federatedTokenEnv, "AZURE_AUTHORITY_HOST"}

// workloadIdentity is what the init container needs to sign in as the pod's
// workload identity: the env and the mount of the projected token.
type workloadIdentity struct {
	found bool
	env   []corev1.EnvVar
	mount corev1.VolumeMount
}

// findWorkloadIdentity copies the workload identity of the first target that
// has one: the env AZURE_FEDERATED_TOKEN_FILE plus a mount holding that file.
// The workload identity webhook may run before or after kvenv (both are
// re-invoked), so the init container is rebuilt from the app containers each
// time rather than trusting what it carries.
func findWorkloadIdentity(targets []*corev1.Container) workloadIdentity {
	for _, c := range targets {
		tokenFile := envValue(c, federatedTokenEnv)
		if tokenFile == "" {
			continue
		}
		mount, ok := mountHolding(c, path.Dir(path.Clean(tokenFile)))
		if !ok {
			continue
		}
		wi := workloadIdentity{found: true, mount: mount}
		for _, name := range workloadIdentityEnv {
			for _, e := range c.Env {
				if e.Name == name {
					wi.env = append(wi.env, *e.DeepCopy())
					break
				}
			}
		}
		return wi
	}
	return workloadIdentity{}
}

func envValue(c *corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// mountHolding finds the mount under which dir lies (the deepest one), as a
// read-only copy.
func mountHolding(c *corev1.Container, dir string) (corev1.VolumeMount, bool) {
	best, found := corev1.VolumeMount{}, false
	for _, m := range c.VolumeMounts {
		p := path.Clean(m.MountPath)
		if m.Name == layout.VolumeName || !(dir == p || strings.HasPrefix(dir, strings.TrimSuffix(p, "/")+"/")) {
			continue
		}
		if !found || len(p) > len(path.Clean(best.MountPath)) {
			best, found = *m.DeepCopy(), true
		}
	}
	best.ReadOnly = true
	return best, found
}

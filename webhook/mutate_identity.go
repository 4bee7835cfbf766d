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
	// missingFor is the service account of a pod that asks for workload
	// identity and has none (see requireWorkloadIdentity); empty otherwise.
	missingFor string
}

// requireWorkloadIdentityFlag tells kvenv-init to fail rather than sign in
// as the node's managed identity; its value names the pod's service account,
// for kvenv-init's message.
const requireWorkloadIdentityFlag = "--require-workload-identity"

// signsInAsNode: with no kvenv.io/client-id and no workload identity in the
// targets, kvenv-init would sign in as the node's managed identity, which
// every pod on the node shares.
func signsInAsNode(m *mutation) bool {
	return m.req.clientID == "" && !m.identity.found
}

// asksForWorkloadIdentity: the label by which a pod asks the Azure workload
// identity webhook for its AZURE_* env and token.
func asksForWorkloadIdentity(pod *corev1.Pod) bool {
	return pod.Labels[workloadIdentityLabel] == "true"
}

// requireWorkloadIdentity marks a pod that asks for workload identity yet
// would sign in as the node: the Azure webhook is absent, failed open,
// skipped the targets, or has not run yet. kvenv-init then fails instead of
// silently using the shared node identity. It is decided on every
// invocation from the current pod, so when the Azure webhook runs after
// kvenv, kvenv's re-invocation (reinvocationPolicy IfNeeded) finds the
// variables and drops the flag; without a re-invocation, that webhook gives
// kvenv-init the variables too, which satisfies the flag.
func requireWorkloadIdentity(pod *corev1.Pod, m *mutation) {
	if asksForWorkloadIdentity(pod) && signsInAsNode(m) {
		m.identity.missingFor = serviceAccountOf(pod)
	}
}

// serviceAccountOf is the pod's service account; "default" when unset, as
// the API server sets it before any webhook sees the pod (a rendered
// template may still lack it).
func serviceAccountOf(pod *corev1.Pod) string {
	if pod.Spec.ServiceAccountName != "" {
		return pod.Spec.ServiceAccountName
	}
	return "default"
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

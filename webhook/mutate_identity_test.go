package webhook

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

const (
	tokenVolume = "azure-identity-token"
	tokenDir    = "/var/run/secrets/azure/tokens"
)

// simulateWorkloadIdentity does to a pod what the Azure workload identity
// webhook does to one whose service account is federated: AZURE_* env and
// a read-only mount of a projected token volume in every container and init
// container that lacks them (kvenv-init included, when kvenv ran first).
func simulateWorkloadIdentity(pod *corev1.Pod) {
	env := []corev1.EnvVar{
		{Name: "AZURE_CLIENT_ID", Value: "11111111-2222-3333-4444-555555555555"},
		{Name: "AZURE_TENANT_ID", Value: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"},
		{Name: federatedTokenEnv, Value: tokenDir + "/" + tokenVolume},
		{Name: "AZURE_AUTHORITY_HOST", Value: "https://login.microsoftonline.com/"},
	}
	add := func(c *corev1.Container) {
		for _, e := range env {
			if envValue(c, e.Name) == "" {
				c.Env = append(c.Env, e)
			}
		}
		for _, m := range c.VolumeMounts {
			if m.Name == tokenVolume {
				return
			}
		}
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: tokenVolume, MountPath: tokenDir, ReadOnly: true})
	}
	for i := range pod.Spec.InitContainers {
		add(&pod.Spec.InitContainers[i])
	}
	for i := range pod.Spec.Containers {
		add(&pod.Spec.Containers[i])
	}
	if indexOfVolume(pod.Spec.Volumes, tokenVolume) < 0 {
		expiry := int64(3600)
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: tokenVolume, VolumeSource: corev1.VolumeSource{
			Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{
				ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: "api://AzureADTokenExchange", ExpirationSeconds: &expiry, Path: tokenVolume},
			}}},
		}})
	}
}

// TestWorkloadIdentityEitherOrder runs both webhooks in both orders, with
// the re-invocation the API server does for reinvocationPolicy IfNeeded:
// the init container ends up the same, with the AZURE_* env and token mount.
func TestWorkloadIdentityEitherOrder(t *testing.T) {
	cfg := testConfig()
	kvenv := func(p *corev1.Pod) { mustMutate(t, p, Inputs{}, cfg) }

	identityFirst := appPod(seedAnnotations())
	for _, step := range []func(*corev1.Pod){simulateWorkloadIdentity, kvenv, simulateWorkloadIdentity, kvenv} {
		step(identityFirst)
	}
	kvenvFirst := appPod(seedAnnotations())
	for _, step := range []func(*corev1.Pod){kvenv, simulateWorkloadIdentity, kvenv, simulateWorkloadIdentity} {
		step(kvenvFirst)
	}
	a, b := initContainerOf(t, identityFirst), initContainerOf(t, kvenvFirst)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("the init container depends on the webhook order:\n%s\n%s", mustJSON(t, a), mustJSON(t, b))
	}
	if envValue(&a, federatedTokenEnv) != tokenDir+"/"+tokenVolume || envValue(&a, "AZURE_CLIENT_ID") == "" ||
		envValue(&a, "AZURE_TENANT_ID") == "" || envValue(&a, "AZURE_AUTHORITY_HOST") == "" {
		t.Errorf("init container lacks the workload identity env: %+v", a.Env)
	}
	if m, ok := mountHolding(&a, tokenDir); !ok || m.Name != tokenVolume || !m.ReadOnly {
		t.Errorf("init container lacks the token mount: %+v", a.VolumeMounts)
	}
	for name, pod := range map[string]*corev1.Pod{"identity first": identityFirst, "kvenv first": kvenvFirst} {
		before := mustJSON(t, pod)
		if res := mustMutate(t, pod, Inputs{}, cfg); res.Changed || !bytes.Equal(before, mustJSON(t, pod)) {
			t.Errorf("%s: kvenv did not converge", name)
		}
	}
}

// TestWorkloadIdentityNeedsTheMount: the env alone, without the token
// mount, is not a workload identity kvenv can use.
func TestWorkloadIdentityNeedsTheMount(t *testing.T) {
	pod := appPod(seedAnnotations())
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: federatedTokenEnv, Value: tokenDir + "/token"}}
	mustMutate(t, pod, Inputs{}, testConfig())
	if init := initContainerOf(t, pod); len(init.Env) != 0 || len(init.VolumeMounts) != 1 {
		t.Errorf("init container copied an unusable identity: %+v %+v", init.Env, init.VolumeMounts)
	}
}

// labelledPod is appPod labelled for workload identity, with service
// account "orders", as a pod looks before the Azure webhook mutates it.
func labelledPod() *corev1.Pod {
	pod := appPod(seedAnnotations())
	pod.Labels = map[string]string{workloadIdentityLabel: "true"}
	pod.Spec.ServiceAccountName = "orders"
	return pod
}

// requireFlagOf is kvenv-init's --require-workload-identity argument, or "".
func requireFlagOf(t *testing.T, pod *corev1.Pod) string {
	t.Helper()
	init := initContainerOf(t, pod)
	for _, a := range init.Args {
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, requireWorkloadIdentityFlag) {
			return a
		}
	}
	return ""
}

// TestLabelledPodWithoutWorkloadIdentityRequiresIt: a pod that asks for
// workload identity and has none tells kvenv-init to fail rather than sign
// in as the node; a pod that has its own identity, or does not ask, does not.
func TestLabelledPodWithoutWorkloadIdentityRequiresIt(t *testing.T) {
	cases := []struct {
		name string
		edit func(*corev1.Pod)
		want string
	}{
		{"labelled, no variables", nil, "--require-workload-identity=orders"},
		{"labelled, no service account named", func(p *corev1.Pod) { p.Spec.ServiceAccountName = "" }, "--require-workload-identity=default"},
		{"labelled, variables", simulateWorkloadIdentity, ""},
		{"labelled, token env without its mount", func(p *corev1.Pod) {
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: federatedTokenEnv, Value: tokenDir + "/token"}}
		}, "--require-workload-identity=orders"},
		{"labelled, kvenv.io/client-id", func(p *corev1.Pod) { p.Annotations[AnnotationClientID] = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" }, ""},
		{"label false", func(p *corev1.Pod) { p.Labels[workloadIdentityLabel] = "false" }, ""},
		{"unlabelled", func(p *corev1.Pod) { p.Labels = nil }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pod := labelledPod()
			if tc.edit != nil {
				tc.edit(pod)
			}
			mustMutate(t, pod, Inputs{}, testConfig())
			if got := requireFlagOf(t, pod); got != tc.want {
				t.Errorf("kvenv-init flag %q, want %q; args %q", got, tc.want, initContainerOf(t, pod).Args)
			}
		})
	}
}

// TestRequiredWorkloadIdentityAcrossReinvocation: when the Azure webhook
// runs after kvenv, kvenv's re-invocation sees its variables and drops the
// flag; without a re-invocation kvenv-init keeps the flag but has the
// variables too (the Azure webhook mutates it as well), which meets it.
func TestRequiredWorkloadIdentityAcrossReinvocation(t *testing.T) {
	cfg := testConfig()
	pod := labelledPod()
	mustMutate(t, pod, Inputs{}, cfg)
	if requireFlagOf(t, pod) == "" {
		t.Fatalf("first pass, no variables yet: no flag in %q", initContainerOf(t, pod).Args)
	}
	simulateWorkloadIdentity(pod)
	if init := initContainerOf(t, pod); envValue(&init, federatedTokenEnv) == "" {
		t.Errorf("without a re-invocation kvenv-init keeps the flag and lacks the variables: %+v", init.Env)
	}
	mustMutate(t, pod, Inputs{}, cfg)
	if f := requireFlagOf(t, pod); f != "" {
		t.Errorf("re-invocation with the variables kept %s", f)
	}
	before := mustJSON(t, pod)
	if res := mustMutate(t, pod, Inputs{}, cfg); res.Changed || !bytes.Equal(before, mustJSON(t, pod)) {
		t.Error("kvenv did not converge")
	}
}

package manifests

import (
	"os"
	"path"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// settingsSet changes every value that becomes a flag or a webhook field.
var settingsSet = []string{
	"webhook.failurePolicy=Ignore",
	"webhook.timeoutSeconds=5",
	"registry.lookupTimeout=3s", // below timeoutSeconds, as the chart requires
	"webhook.objectSelector.matchLabels.team=payments",
	"webhook.namespaceSelector.matchLabels.kvenv\\.io/injection=enabled",
	"webhook.namespaceSelector.matchExpressions=null",
	"injector.image.repository=registry.example/kvenv-injector",
	"injector.image.tag=v9",
	"injector.pullPolicy=Always",
	"injector.resources.requests.cpu=20m",
	"injector.resources.requests.memory=24Mi",
	"injector.resources.limits.cpu=300m",
	"injector.resources.limits.memory=96Mi",
	"injector.volumeSizeLimit=4Mi",
	"injector.fetchTimeout=45s",
	"injector.maxReferences=20",
	"injector.defaultPlatform=linux/arm64",
	"azure.vaultDnsSuffix=vault.azure.cn",
	"azure.authorityHost=https://login.chinacloudapi.cn",
	"azure.disableInstanceDiscovery=true",
	"--set-file=azure.caBundle=testdata/extra-ca.pem",
	"--set-file=registry.caBundle=testdata/extra-ca.pem",
	"allowedVaults={team-a,team-b.vault.azure.cn}",
	"log.level=debug",
	"metrics.enabled=false",
	"tls.minVersion=1.3",
	"tls.selfManaged.certValidity=720h",
}

func checkSettings(t *testing.T, r rendered) {
	d := deployment(t, r)
	want := map[string]string{
		"injector-image": "registry.example/kvenv-injector:v9", "injector-pull-policy": "Always",
		"init-cpu-request": "20m", "init-memory-request": "24Mi", "init-cpu-limit": "300m", "init-memory-limit": "96Mi",
		"volume-size-limit": "4Mi", "fetch-timeout": "45s", "max-references": "20", "default-platform": "linux/arm64",
		"vault-dns-suffix": "vault.azure.cn", "authority-host": "https://login.chinacloudapi.cn",
		"disable-instance-discovery": "true", "ca-bundle-file": "/etc/kvenv/ca/ca-bundle.pem",
		"allowed-vaults": "team-a,team-b.vault.azure.cn", "zap-log-level": "debug",
		"metrics-bind-address": "0", "tls-min-version": "1.3", "tls-cert-validity": "720h",
		"registry-lookup-timeout": "3s", "registry-ca-bundle-file": "/etc/kvenv/ca/registry-ca-bundle.pem",
	}
	got := args(t, d)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("--%s=%q, want %q", k, got[k], v)
		}
	}
	checkCABundleMounted(t, r, d, got["ca-bundle-file"])
	checkCABundleMounted(t, r, d, got["registry-ca-bundle-file"])
	w := webhookConfig(t, r).Webhooks[0]
	if *w.FailurePolicy != admissionv1.Ignore || *w.TimeoutSeconds != 5 {
		t.Errorf("failurePolicy %s timeoutSeconds %d, want Ignore and 5", *w.FailurePolicy, *w.TimeoutSeconds)
	}
	if w.ObjectSelector == nil || w.ObjectSelector.MatchLabels["team"] != "payments" {
		t.Errorf("objectSelector %+v, want team=payments", w.ObjectSelector)
	}
	if w.NamespaceSelector.MatchLabels["kvenv.io/injection"] != "enabled" || len(w.NamespaceSelector.MatchExpressions) != 1 {
		t.Errorf("namespaceSelector %+v: want the given labels plus the exclusion of kvenv's own namespace", w.NamespaceSelector)
	}
	for _, p := range d.Spec.Template.Spec.Containers[0].Ports {
		if p.Name == "metrics" {
			t.Error("metrics off must not expose a metrics port")
		}
	}
}

// checkCABundleMounted: the file a CA bundle flag (--ca-bundle-file,
// --registry-ca-bundle-file) names holds the given PEM.
func checkCABundleMounted(t *testing.T, r rendered, d *appsv1.Deployment, file string) {
	t.Helper()
	pem, err := os.ReadFile("testdata/extra-ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{}
	r.one(t, "ConfigMap", cm)
	v := certVolume(t, d, path.Dir(file))
	if v.ConfigMap == nil || v.ConfigMap.Name != cm.Name || cm.Data[path.Base(file)] != string(pem) {
		t.Fatalf("CA bundle file %s is not the given PEM from ConfigMap %s: %+v", file, cm.Name, v.VolumeSource)
	}
	if d.Spec.Template.Annotations["checksum/ca-bundle"] == "" {
		t.Error("a CA bundle change must roll the webhook: want a checksum/ca-bundle pod annotation")
	}
}

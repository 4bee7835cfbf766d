package webhook

import (
	"bytes"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/internal/layout"
)

type denialCase struct {
	name   string
	edit   func(pod *corev1.Pod, in *Inputs, cfg *Config)
	want   []string // substrings of the denial message
	absent string   // must not appear (a password pasted into a URL)
}

// annotate returns an edit that sets annotations on the app pod.
func annotate(kv ...string) func(*corev1.Pod, *Inputs, *Config) {
	return func(pod *corev1.Pod, _ *Inputs, _ *Config) {
		for i := 0; i+1 < len(kv); i += 2 {
			pod.Annotations[kv[i]] = kv[i+1]
		}
	}
}

const envX = AnnotationEnvPrefix + "DB_PASSWORD"

var denialCases = []denialCase{
	{"unknown key", annotate("kvenv.io/frobnicate", "yes"), []string{"unknown annotation kvenv.io/frobnicate", "fix the name or remove it"}, ""},
	{"env near-miss evn", annotate("kvenv.io/evn.PASSWORD", "Pw"), []string{"kvenv.io/evn.PASSWORD", "did you mean kvenv.io/env.PASSWORD?"}, ""},
	{"env near-miss upper case", annotate("kvenv.io/ENV.PASSWORD", "Pw"), []string{"did you mean kvenv.io/env.PASSWORD?"}, ""},
	{"env near-miss underscore", annotate("kvenv.io/env_PASSWORD", "Pw"), []string{"did you mean kvenv.io/env.PASSWORD?"}, ""},
	{"vault near-miss", annotate("kvenv.io/valut", "myvault"), []string{"kvenv.io/valut", "did you mean kvenv.io/vault?"}, ""},
	{"containers near-miss", annotate("kvenv.io/container", "app"), []string{"did you mean kvenv.io/containers?"}, ""},
	{"client-id near-miss", annotate("kvenv.io/client_id", "x"), []string{"did you mean kvenv.io/client-id?"}, ""},
	{"only a misspelt key is still denied", func(p *corev1.Pod, _ *Inputs, _ *Config) {
		p.Annotations = map[string]string{AnnotationVault: "myvault", "kvenv.io/evn.X": "S"}
	}, []string{"did you mean kvenv.io/env.X?"}, ""},
	{"var name starts with digit", annotate(AnnotationEnvPrefix+"1PASSWORD", "Pw"), []string{"kvenv.io/env.1PASSWORD", "not a valid environment variable name"}, ""},
	{"var name with dash", annotate(AnnotationEnvPrefix+"DB-PASSWORD", "Pw"), []string{"kvenv.io/env.DB-PASSWORD", "not a valid environment variable name"}, ""},
	{"empty var name", annotate(AnnotationEnvPrefix, "Pw"), []string{`kvenv.io/env.: "" is not a valid environment variable name`}, ""},
	{"empty value", annotate(envX, ""), []string{envX + " is empty"}, ""},
	{"whitespace value", annotate(envX, "   "), []string{envX + " is empty"}, ""},
	{"padded value", annotate(envX, " DbPassword"), []string{envX + " has leading or trailing whitespace"}, ""},
	{"look-alike dash", annotate(envX, "Db\u2010Password"), []string{envX, "U+2010", "retype"}, ""},
	{"cyrillic a in vault", annotate(AnnotationVault, "myv\u0430ult"), []string{AnnotationVault, "U+0430"}, ""},
	{"control character", annotate(envX, "Db\tPassword"), []string{envX, "U+0009 (a control character)"}, ""},
	{"oversize value", annotate(envX, strings.Repeat("a", 2049)), []string{envX + " is 2049 bytes long", "at most 2048"}, ""},
	{"vault name too short", annotate(AnnotationVault, "kv"), []string{AnnotationVault + " is not a valid vault name", "3 to 24"}, ""},
	{"vault name too long", annotate(AnnotationVault, strings.Repeat("v", 25)), []string{AnnotationVault, "3 to 24"}, ""},
	{"vault name starts with digit", annotate(AnnotationVault, "1vault"), []string{AnnotationVault, "starts with a letter"}, ""},
	{"vault name ends with dash", annotate(AnnotationVault, "myvault-"), []string{AnnotationVault, "ends with a letter or digit"}, ""},
	{"vault name consecutive dashes", annotate(AnnotationVault, "my--vault"), []string{AnnotationVault, "no consecutive dashes"}, ""},
	{"vault name underscore", annotate(AnnotationVault, "my_vault"), []string{AnnotationVault, "only letters, digits and dashes"}, ""},
	{"vault bare host", annotate(AnnotationVault, "myvault.vault.azure.net"), []string{AnnotationVault, "a host name without a scheme: write https:// before it"}, ""},
	{"vault http", annotate(AnnotationVault, "http://myvault.vault.azure.net"), []string{AnnotationVault, "https only"}, ""},
	{"vault userinfo", annotate(AnnotationVault, "https://admin:hunter2@myvault.vault.azure.net"), []string{AnnotationVault, "user name or password"}, "hunter2"},
	{"vault query", annotate(AnnotationVault, "https://myvault.vault.azure.net/?sig=QmFzZTY0U2lnbmF0dXJl"), []string{AnnotationVault, "query or fragment"}, "QmFzZTY0U2lnbmF0dXJl"},
	{"vault fragment", annotate(AnnotationVault, "https://myvault.vault.azure.net/#x"), []string{AnnotationVault, "query or fragment"}, ""},
	{"vault path", annotate(AnnotationVault, "https://myvault.vault.azure.net/secrets"), []string{AnnotationVault, "has a path"}, ""},
	{"vault non-Key-Vault host", annotate(AnnotationVault, "https://10.0.0.5:8443"), []string{AnnotationVault, "10.0.0.5:8443 is not a Key Vault host", "ask the cluster admin"}, ""},
	{"vault invalid name in host", annotate(AnnotationVault, "https://a.b.vault.azure.net"), []string{AnnotationVault, `"a.b" in host a.b.vault.azure.net is not a valid vault name`}, ""},
	{"secret URI on foreign host", annotate(envX, "https://evil.example.com/secrets/DbPassword"), []string{envX, "evil.example.com is not a Key Vault host"}, ""},
	{"secret URI over http", annotate(envX, "http://myvault.vault.azure.net/secrets/DbPassword"), []string{envX, "https only"}, ""},
	{"secret URI with userinfo", annotate(envX, "https://u:s3cr3t@myvault.vault.azure.net/secrets/DbPassword"), []string{envX, "user name or password"}, "s3cr3t"},
	{"secret URI wrong path", annotate(envX, "https://myvault.vault.azure.net/keys/DbPassword"), []string{envX, "path must be /secrets/<name>[/<version>]"}, ""},
	{"secret URI bad version", annotate(envX, "https://myvault.vault.azure.net/secrets/DbPassword/v2"), []string{envX, "the version has 2 characters", "32 hexadecimal"}, ""},
	{"secret URI with query", annotate(envX, "https://myvault.vault.azure.net/secrets/DbPassword?sig=c2VjcmV0LXRva2Vu"), []string{envX, "query or fragment"}, "c2VjcmV0LXRva2Vu"},
	{"secret URI bad name", annotate(envX, "https://myvault.vault.azure.net/secrets/Hunter2!pw"), []string{envX, "character 8 of this one is not"}, "Hunter2!pw"},
	{"bad secret name", annotate(envX, "Db_Password"), []string{envX, "letters, digits and dashes", "character 3 of this one is not"}, "Db_Password"},
	{"password pasted as the reference", annotate(envX, "Tr0ub4dor&3xyz"), []string{envX, "character 10 of this one is not"}, "Tr0ub4dor&3xyz"},
	{"bad short version", annotate(envX, "DbPassword/123"), []string{envX, "the version has 3 characters"}, "123"},
	{"too many segments", annotate(envX, "pass/word/123x"), []string{envX, "more than one \"/\"", "want <secret>, <secret>/<version>"}, "pass/word/123x"},
	{"look-alike in a variable name", annotate(AnnotationEnvPrefix+"PASSW\u041eRD", "Pw"), []string{"not a valid environment variable name"}, ""},
	{"short form without vault", func(p *corev1.Pod, _ *Inputs, _ *Config) { delete(p.Annotations, AnnotationVault) },
		[]string{envX, "has no kvenv.io/vault annotation"}, ""},
	{"names differing only in case", annotate(AnnotationEnvPrefix+"db_password", "Other"), []string{AnnotationEnvPrefix + "db_password and " + envX, "differ only in case"}, ""},
	{"too many references", func(p *corev1.Pod, _ *Inputs, c *Config) {
		c.MaxReferences = 2
		p.Annotations[AnnotationEnvPrefix+"A"] = "A"
		p.Annotations[AnnotationEnvPrefix+"B"] = "B"
	}, []string{"3 kvenv.io/env.* annotations", "at most 2"}, ""},
	{"inject neither true nor false", annotate(AnnotationInject, "no"), []string{AnnotationInject, `"no"`, `"true" or "false"`}, ""},
	{"client-id not a GUID", annotate(AnnotationClientID, "my-identity"), []string{AnnotationClientID, "not a client ID"}, ""},
	{"client secret pasted as client-id", annotate(AnnotationClientID, "Zq48Q~abcDEFghiJKLmnoPQRstuVWXyz0123456789"), []string{AnnotationClientID, "never a client secret"}, "Zq48Q~abcDEFghiJKLmnoPQRstuVWXyz0123456789"},
	{"status with another value", annotate(AnnotationStatus, "done"), []string{AnnotationStatus, "only kvenv writes it"}, ""},
	{"containers names nothing", annotate(AnnotationContainers, ",,"), []string{AnnotationContainers + " names no container"}, ""},
	{"containers names a missing container", annotate(AnnotationContainers, "app,sidecar"), []string{AnnotationContainers, `"sidecar", which is not a container of this pod`, "containers: app"}, ""},
	{"containers names several missing containers", annotate(AnnotationContainers, "app,db,cache"),
		[]string{AnnotationContainers + ` names "db", "cache", which are not containers of this pod (containers: app`}, ""},
	{"containers names kvenv-init", annotate(AnnotationContainers, "kvenv-init"), []string{AnnotationContainers, "kvenv's own init container"}, ""},
	{"reserved volume name", func(p *corev1.Pod, _ *Inputs, _ *Config) {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: layout.VolumeName})
	}, []string{"spec.volumes", `"kvenv"`, "rename it"}, ""},
	{"reserved init container name", func(p *corev1.Pod, _ *Inputs, _ *Config) {
		p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: layout.InitContainerName, Image: "x"})
	}, []string{"spec.initContainers", `"kvenv-init"`, "rename it"}, ""},
	{"reserved app container name", func(p *corev1.Pod, _ *Inputs, _ *Config) { p.Spec.Containers[0].Name = layout.InitContainerName },
		[]string{"spec.containers", `"kvenv-init"`}, ""},
	{"status without kvenv's parts", annotate(AnnotationStatus, StatusInjected), []string{AnnotationStatus, "lacks kvenv's init container kvenv-init or volume kvenv", "remove the annotation"}, ""},
	{"cluster allow-list", func(_ *corev1.Pod, _ *Inputs, c *Config) { c.AllowedVaults = []string{"othervault"} },
		[]string{AnnotationVault, "myvault.vault.azure.net is not among the vaults this cluster allows (othervault.vault.azure.net)"}, ""},
	{"namespace narrows", func(_ *corev1.Pod, in *Inputs, _ *Config) {
		in.NamespaceAnnotations = map[string]string{NamespaceAllowedVaults: "teamvault, https://othervault.vault.azure.net"}
	}, []string{AnnotationVault, "namespace apps allows", NamespaceAllowedVaults, "othervault.vault.azure.net, teamvault.vault.azure.net"}, ""},
	{"namespace cannot widen the cluster list", func(p *corev1.Pod, in *Inputs, c *Config) {
		c.AllowedVaults = []string{"myvault"}
		in.NamespaceAnnotations = map[string]string{NamespaceAllowedVaults: "myvault,othervault"}
		p.Annotations[AnnotationEnvPrefix+"OTHER"] = "https://othervault.vault.azure.net/secrets/Other"
	}, []string{AnnotationEnvPrefix + "OTHER", "not among the vaults this cluster allows"}, ""},
	{"namespace empty list allows none", func(_ *corev1.Pod, in *Inputs, _ *Config) {
		in.NamespaceAnnotations = map[string]string{NamespaceAllowedVaults: ""}
	}, []string{"namespace apps allows", "(none)"}, ""},
	{"namespace list entry invalid", func(_ *corev1.Pod, in *Inputs, _ *Config) {
		in.NamespaceAnnotations = map[string]string{NamespaceAllowedVaults: "myvault,not a vault"}
	}, []string{"namespace apps lists \"not a vault\"", NamespaceAllowedVaults}, ""},
	{"no command and unknown entrypoint", func(p *corev1.Pod, _ *Inputs, _ *Config) { p.Spec.Containers[0].Command = nil },
		[]string{"container app (image registry.example/app:1) sets no `command` and its ENTRYPOINT is unknown: set `command` in the pod spec"}, ""},
	{"args only and unknown entrypoint", func(p *corev1.Pod, _ *Inputs, _ *Config) {
		p.Spec.Containers[0].Command, p.Spec.Containers[0].Args = nil, []string{"--serve"}
	}, []string{"container app", "ENTRYPOINT is unknown"}, ""},
	{"image without entrypoint or cmd", func(p *corev1.Pod, in *Inputs, _ *Config) {
		p.Spec.Containers[0].Command = nil
		in.Images = map[string]ImageCommand{"app": {}}
	}, []string{"container app", "neither ENTRYPOINT nor CMD"}, ""},
	{"mount at kvenv's path", func(p *corev1.Pod, _ *Inputs, _ *Config) {
		p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/kvenv/env"}}
	}, []string{"container app mounts volume data at /kvenv/env"}, ""},
	{"kvenv's volume in a container not listed", func(p *corev1.Pod, _ *Inputs, _ *Config) {
		p.Annotations[AnnotationContainers] = "app"
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "sidecar", Image: "x", Command: []string{"/sidecar"},
			VolumeMounts: []corev1.VolumeMount{{Name: layout.VolumeName, MountPath: "/steal"}}})
	}, []string{"container sidecar mounts kvenv's volume kvenv at /steal", "remove that mount"}, ""},
	{"kvenv's volume twice in a target", func(p *corev1.Pod, _ *Inputs, _ *Config) {
		p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: layout.VolumeName, MountPath: "/kvenv"}, {Name: layout.VolumeName, MountPath: "/rw"}}
	}, []string{"container app mounts kvenv's volume kvenv 2 times (at /kvenv, /rw)", "remove these mounts"}, ""},
	{"windows pod", func(p *corev1.Pod, _ *Inputs, _ *Config) { p.Spec.OS = &corev1.PodOS{Name: corev1.Windows} },
		[]string{"runs on windows", "Linux pods only"}, ""},
}

// TestMutateDenies checks that each malformed pod is denied, untouched, with
// a message that names what is wrong.
func TestMutateDenies(t *testing.T) {
	for _, tc := range denialCases {
		t.Run(tc.name, func(t *testing.T) {
			pod := appPod(map[string]string{AnnotationVault: "myvault", envX: "DbPassword"})
			in, cfg := Inputs{Namespace: "apps"}, testConfig()
			tc.edit(pod, &in, &cfg)
			before := mustJSON(t, pod)
			_, err := Mutate(pod, in, cfg)
			if err == nil {
				t.Fatal("Mutate accepted the pod")
			}
			msg := asDenial(t, err).Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("denial lacks %q:\n%s", w, msg)
				}
			}
			if tc.absent != "" && strings.Contains(msg, tc.absent) {
				t.Errorf("denial repeats %q:\n%s", tc.absent, msg)
			}
			if !bytes.Equal(before, mustJSON(t, pod)) {
				t.Error("a denied pod was modified")
			}
		})
	}
}

// TestDenialReportsAllProblems: users fix everything in one round.
func TestDenialReportsAllProblems(t *testing.T) {
	pod := appPod(map[string]string{
		AnnotationVault: "1bad", envX: "DbPassword", "kvenv.io/evn.Y": "S", AnnotationClientID: "nope",
	})
	pod.Spec.Containers[0].Command = nil
	_, err := Mutate(pod, Inputs{}, testConfig())
	d := asDenial(t, err)
	for _, want := range []string{AnnotationVault, "kvenv.io/evn.Y", AnnotationClientID, "ENTRYPOINT is unknown"} {
		if !strings.Contains(d.Error(), want) {
			t.Errorf("denial lacks %q: %s", want, d.Error())
		}
	}
	if len(d.Problems) != 4 {
		t.Errorf("want 4 problems (an invalid vault is reported once, not again per reference), got %d: %q", len(d.Problems), d.Problems)
	}
}

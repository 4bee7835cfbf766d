package webhook

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

const jsonDeployment = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api","namespace":"shop"},
"spec":{"replicas":3,"template":{"metadata":{"annotations":{"kvenv.io/vault":"myvault","kvenv.io/env.TOKEN":"Token"}},
"spec":{"containers":[{"name":"api","image":"registry.example/api:1","command":["/api"]}]}}}}
{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"big":12345678901234567890}}`

func TestRenderJSONStream(t *testing.T) {
	var out, warn bytes.Buffer
	if err := RenderObjectsWithWarnings(strings.NewReader(jsonDeployment), &out, &warn, Inputs{Namespace: "default"}, testConfig()); err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(out.String(), "---\n")
	if len(docs) != 2 {
		t.Fatalf("want 2 YAML documents, got %d:\n%s", len(docs), out.String())
	}
	if !strings.Contains(docs[0], "/kvenv/bin/kvenv-exec") || !strings.Contains(docs[0], "replicas: 3") {
		t.Errorf("deployment not mutated or numbers lost:\n%s", docs[0])
	}
	if !strings.Contains(docs[1], "big: 12345678901234567890") {
		t.Errorf("untouched document changed its numbers:\n%s", docs[1])
	}
	if !strings.HasPrefix(warn.String(), "Deployment/api: kvenv: ") {
		t.Errorf("warnings are not prefixed with the object: %q", warn.String())
	}
}

func TestRenderNamespaceNarrowing(t *testing.T) {
	// The object's namespace wins over in.Namespace in messages and inputs.
	in := Inputs{Namespace: "default", NamespaceAnnotations: map[string]string{NamespaceAllowedVaults: "othervault"}}
	err := RenderObjects(strings.NewReader(jsonDeployment), &bytes.Buffer{}, in, testConfig())
	if err == nil || !strings.Contains(err.Error(), "namespace shop allows") {
		t.Fatalf("want a denial naming namespace shop, got %v", err)
	}
}

func TestRenderDenialNamesEveryObjectAndWritesNothing(t *testing.T) {
	input := `apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    metadata: {annotations: {kvenv.io/vault: myvault, kvenv.io/evn.X: S}}
    spec: {containers: [{name: m, image: m, command: [/m]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec: {containers: [{name: w, image: w}]}
---
apiVersion: v1
kind: Pod
metadata: {generateName: worker-, annotations: {kvenv.io/vault: myvault, kvenv.io/env.X: S}}
spec: {containers: [{name: w, image: w}]}
`
	var out bytes.Buffer
	err := RenderObjects(strings.NewReader(input), &out, Inputs{Namespace: "default"}, testConfig())
	if err == nil {
		t.Fatal("render accepted bad objects")
	}
	for _, want := range []string{"Job/migrate: kvenv: unknown annotation kvenv.io/evn.X", "Pod/worker-: kvenv: container w (image w) sets no `command`"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if out.Len() != 0 {
		t.Errorf("render wrote output despite denials:\n%s", out.String())
	}
}

func TestRenderList(t *testing.T) {
	input := `apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: StatefulSet
  metadata: {name: db}
  spec:
    template:
      metadata: {annotations: {kvenv.io/vault: myvault, kvenv.io/env.X: S}}
      spec: {containers: [{name: db, image: db, command: [/db]}]}
`
	var out bytes.Buffer
	if err := RenderObjects(strings.NewReader(input), &out, Inputs{}, testConfig()); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []struct {
			Spec struct {
				Template struct {
					Spec struct {
						InitContainers []struct{ Name string }
					}
				}
			}
		}
	}
	if err := yaml.Unmarshal(out.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || len(list.Items[0].Spec.Template.Spec.InitContainers) != 1 {
		t.Fatalf("List item not mutated:\n%s", out.String())
	}
}

func TestRenderRejectsAnInvalidConfig(t *testing.T) {
	err := RenderObjects(strings.NewReader(jsonDeployment), &bytes.Buffer{}, Inputs{}, DefaultConfig())
	if err == nil || !strings.Contains(err.Error(), "injector image is not set: set --injector-image") {
		t.Fatalf("want the missing injector image reported with its flag, got %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := testConfig().Validate(); err != nil {
		t.Fatalf("the test configuration is invalid: %v", err)
	}
	bad := testConfig()
	bad.InjectorPullPolicy = "Sometimes"
	bad.VaultDNSSuffix = ".vault.azure.net"
	bad.AuthorityHost = "http://login.example"
	bad.CABundle = "not pem"
	bad.VolumeSizeLimit.Set(0)
	bad.AllowedVaults = []string{"my_vault"}
	bad.MaxReferences = 0
	bad.FetchTimeout = -time.Second
	bad.DefaultPlatform.Arch = ""
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate accepted a broken configuration")
	}
	for _, want := range []string{"pull policy", "vault DNS suffix", "authority host", "CA bundle", "volume size limit",
		`allowed vault "my_vault"`, "max references", "fetch timeout", "default platform"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate did not report %s: %v", want, err)
		}
	}
	if _, err := Mutate(appPod(seedAnnotations()), Inputs{}, bad); err == nil {
		t.Error("Mutate ran with a broken configuration")
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{2 * time.Minute: "2m", 90 * time.Second: "1m30s", time.Hour: "1h", 45 * time.Second: "45s"} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%s) = %s, want %s", d, got, want)
		}
	}
}

package migrate

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// These tests say, independently of the golden files, what each case must
// do, so that a careless -update cannot hide a regression.

func TestTutorialBecomesAnnotations(t *testing.T) {
	in, _ := os.ReadFile("testdata/in/tutorial.yaml")
	res := migrateFile(t, "testdata/in/tutorial.yaml")
	docs := splitDocs(t, res.Manifests)
	if len(docs) != 2 {
		t.Fatalf("want the Deployment and the Service (the SecretProviderClass dropped), got %d documents:\n%s", len(docs), res.Manifests)
	}
	d := &appsv1.Deployment{}
	if err := yaml.UnmarshalStrict(docs[0], d); err != nil {
		t.Fatalf("output Deployment does not decode strictly: %v", err)
	}
	want := map[string]string{
		"kvenv.io/vault":                          "myvault",
		"kvenv.io/client-id":                      "6b3a3c4e-1f0d-4b8e-9a55-1c2d3e4f5a6b",
		"kvenv.io/env.SPRING_DATASOURCE_URL":      "DatasourceURL",
		"kvenv.io/env.SPRING_DATASOURCE_USERNAME": "DatasourceUsername",
		"kvenv.io/env.SPRING_DATASOURCE_PASSWORD": "DatasourcePassword",
	}
	assertMap(t, d.Spec.Template.Annotations, want)
	pod := d.Spec.Template.Spec
	if len(pod.Volumes) != 0 || len(pod.Containers[0].VolumeMounts) != 0 || len(pod.Containers[0].Env) != 0 {
		t.Errorf("CSI volume, mount or secretKeyRef env left: %+v", pod)
	}
	if !bytes.Contains(in, docs[1]) {
		t.Errorf("the Service was not passed through verbatim:\n%s", docs[1])
	}
	assertFinding(t, res, Note, "SecretProviderClass sample-spc", "dropped from the output")
	assertFinding(t, res, Note, "Deployment sampleapp", "kvenv.io/client-id 6b3a3c4e-1f0d-4b8e-9a55-1c2d3e4f5a6b")
	// A managed identity signs in to its own tenant: nothing to say about tenantId.
	assertNoFinding(t, res, "tenant", "tenant note for a managed identity")
}

// The manifests cannot show whether a secret backs a certificate, whose PFX
// the CSI driver turned into PEM: each moved object asks for that check.
func TestEachMovedObjectAsksForTheCertificateCheck(t *testing.T) {
	res := migrateFile(t, "testdata/in/tutorial.yaml")
	for _, obj := range [][2]string{
		{"DatasourceURL", "SPRING_DATASOURCE_URL"},
		{"DatasourceUsername", "SPRING_DATASOURCE_USERNAME"},
		{"DatasourcePassword", "SPRING_DATASOURCE_PASSWORD"},
	} {
		assertFinding(t, res, Note, "Deployment sampleapp", "certificate check: "+obj[0]+" ("+obj[1]+"): if this Key Vault secret backs a certificate stored as PFX "+
			"(az keyvault secret show --vault-name myvault --name "+obj[0]+` --query contentType prints "application/x-pkcs12"), `+
			"the CSI driver gave the variable PEM (private key and certificate chain) and kvenv gives the value as stored, the PFX in base64")
	}
}

func TestEachUntranslatablePartIsReported(t *testing.T) {
	cases := []struct{ file, object, message string }{
		{"key-and-cert", "StatefulSet signer/signer", `env SIGNING_KEY of container signer: object "SigningKey" has objectType "key"`},
		{"key-and-cert", "StatefulSet signer/signer", `env CLIENT_CERT of container signer: object "ClientCert" has objectType "cert"`},
		{"key-and-cert", "StatefulSet signer/signer", `objectEncoding "base64"`},
		{"key-and-cert", "StatefulSet signer/signer", "CSI volume kv of SecretProviderClass signer-spc is kept: env SIGNING_KEY"},
		{"tls-secret", "Deployment web/web", "Secret web-tls is synced with type kubernetes.io/tls"},
		{"envfrom", "Deployment api/api", "envFrom of container api takes the whole Secret api-secret"},
		{"envfrom", "Deployment api/api", "kvenv.io/env.APP_DB_PASSWORD: DbPassword"},
		{"files-read", "DaemonSet ops/agent", "container agent names /mnt/agent in its command"},
		{"files-read", "DaemonSet ops/agent", "ConfigMap agent-config names /mnt/agent"},
		{"files-read", "DaemonSet ops/agent", "container shipper mounts it and takes none of the migrated variables"},
		{"files-read", "Deployment ops/reader", "takes none of its values through env secretKeyRef"},
		{"multiple-spcs", "Deployment orders/orders", "uses 2 SecretProviderClasses (orders-spc, vault orders-kv; payments-spc, vault payments-kv)"},
		{"pod-identity", "Deployment legacy", "usePodIdentity: pod-managed identity is deprecated"},
		{"pod-identity", "SecretProviderClass legacy-spc", "kept in the output: usePodIdentity"},
		{"unknown-key", "Job batch/load", "key pasword of Secret batch-secret is not produced by the secretObjects of SecretProviderClass batch-spc"},
		{"unknown-key", "Job batch/load", "key host of Secret batch-secret comes from object WarehouseHost, which is not among the objects"},
		{"list", "Deployment portal/portal", "env FLAGS_TOKEN of container portal: the secretKeyRef is optional"},
		{"service-principal", "Deployment sp-app", "no identity parameter"},
		{"service-principal", "Deployment elsewhere", "SecretProviderClass other-spc, which is not in the input"},
		{"conflicts", "ReplicaSet mixed/mixed", "env DB_URL: container migrate-db expands $(DB_URL)"},
		{"conflicts", "ReplicaSet mixed/mixed", "env PASSWORD: takes DbPassword in container app but CachePassword in container cache"},
		{"conflicts", "ReplicaSet mixed/mixed", "env LICENSE_KEY: container cache sets it otherwise"},
		{"already-kvenv", "Deployment half/half", "already has kvenv.io/vault: other-kv"},
	}
	for _, c := range cases {
		t.Run(c.file+"/"+c.message, func(t *testing.T) {
			res := migrateFile(t, "testdata/in/"+c.file+".yaml")
			assertFinding(t, res, LeftAsIs, c.object, c.message)
		})
	}
}

// When nothing can be translated the output is the input, byte for byte.
func TestUntranslatableWorkloadsAreUntouched(t *testing.T) {
	for _, file := range []string{"multiple-spcs", "pod-identity", "service-principal", "already-kvenv", "tls-secret", "envfrom"} {
		t.Run(file, func(t *testing.T) {
			in, _ := os.ReadFile("testdata/in/" + file + ".yaml")
			res := migrateFile(t, "testdata/in/"+file+".yaml")
			assertUnchanged(t, res, in)
			for _, f := range res.Findings {
				if f.Level == Migrated {
					t.Errorf("reported as migrated: %s", f)
				}
			}
		})
	}
}

func TestPartlyTranslatedWorkloads(t *testing.T) {
	t.Run("conflicts: init container named, each container told what it gains", func(t *testing.T) {
		res := migrateFile(t, "testdata/in/conflicts.yaml")
		rs := &appsv1.ReplicaSet{}
		decodeKind(t, res.Manifests, "ReplicaSet", rs)
		assertMap(t, rs.Spec.Template.Annotations, map[string]string{
			"kvenv.io/vault":                 "mixed-kv",
			"kvenv.io/containers":            "migrate-db,app",
			"kvenv.io/env.MIGRATOR_PASSWORD": "MigratorPassword",
			"kvenv.io/env.DB_USER":           "DbUser",
		})
		assertFinding(t, res, Note, "ReplicaSet mixed/mixed", "container migrate-db now also receives DB_USER")
		assertFinding(t, res, Note, "ReplicaSet mixed/mixed", "container app now also receives MIGRATOR_PASSWORD")
		if got := envNames(rs.Spec.Template.Spec.Containers[0]); got != "DB_URL,PASSWORD,LICENSE_KEY" {
			t.Errorf("app env left: %s", got)
		}
	})
	t.Run("files read: variables move, volume stays", func(t *testing.T) {
		res := migrateFile(t, "testdata/in/files-read.yaml")
		ds := &appsv1.DaemonSet{}
		decodeKind(t, res.Manifests, "DaemonSet", ds)
		if len(ds.Spec.Template.Spec.Volumes) != 1 || ds.Spec.Template.Annotations["kvenv.io/containers"] != "agent" {
			t.Errorf("want the CSI volume kept and only container agent targeted: %+v", ds.Spec.Template)
		}
		if !strings.Contains(string(res.Manifests), "kind: SecretProviderClass") {
			t.Error("the SecretProviderClass was dropped although the volume still needs it")
		}
	})
	t.Run("workload identity: nothing on the pod, the service account told", func(t *testing.T) {
		res := migrateFile(t, "testdata/in/workload-identity.yaml")
		cj := &batchv1.CronJob{}
		decodeKind(t, res.Manifests, "CronJob", cj)
		tmpl := cj.Spec.JobTemplate.Spec.Template
		assertMap(t, tmpl.Annotations, map[string]string{
			"kvenv.io/vault":             "reports-kv",
			"kvenv.io/env.SMTP_PASSWORD": "SmtpPassword/8f1c2a3b4d5e6f708192a3b4c5d6e7f8",
		})
		if names := envNames(tmpl.Spec.Containers[0]); names != "SMTP_HOST" || len(tmpl.Spec.Volumes) != 0 {
			t.Errorf("want only SMTP_HOST and no volume left, got env %s, volumes %v", names, tmpl.Spec.Volumes)
		}
		assertFinding(t, res, Note, "CronJob reports/nightly-report", "service account reporter must carry annotation azure.workload.identity/client-id: 0f2a9c1e-5b7d-4e3a-8c6f-2d1b0a9e8f7c")
		assertFinding(t, res, Note, "CronJob reports/nightly-report", `lacks label azure.workload.identity/use: "true"`)
		assertFinding(t, res, Note, "CronJob reports/nightly-report", "the SecretProviderClass signed in to tenantId 72f988bf-86f1-41af-91ab-2d7cd011db47; "+
			"kvenv signs in to the tenant of service account reporter's annotation azure.workload.identity/tenant-id, else the cluster's tenant: "+
			"unless 72f988bf-86f1-41af-91ab-2d7cd011db47 is the cluster's tenant, annotate service account reporter with azure.workload.identity/tenant-id: 72f988bf-86f1-41af-91ab-2d7cd011db47")
	})
	t.Run("node identity: nothing on the pod, reported", func(t *testing.T) {
		res := migrateFile(t, "testdata/in/node-identity.yaml")
		pod := &corev1.Pod{}
		decodeKind(t, res.Manifests, "Pod", pod)
		if _, ok := pod.Annotations["kvenv.io/client-id"]; ok {
			t.Errorf("node identity must not write kvenv.io/client-id: %v", pod.Annotations)
		}
		assertFinding(t, res, Note, "Pod shop/shop-worker", "system-assigned managed identity")
		for _, f := range res.Findings {
			if strings.HasPrefix(f.Object, "Namespace shop") {
				t.Errorf("namespace shop is labelled in the input, yet: %s", f)
			}
		}
	})
}

func TestIdentityMapping(t *testing.T) {
	cases := []struct {
		name                                string
		params                              map[string]string
		clientID, workloadID, tenant, block string
		node                                bool
	}{
		{"workload identity", map[string]string{"clientID": "w"}, "", "w", "", "", false},
		{"workload identity in a tenant", map[string]string{"clientID": "w", "tenantId": "t"}, "", "w", "t", "", false},
		{"user-assigned node identity", map[string]string{"useVMManagedIdentity": "true", "userAssignedIdentityID": "u", "tenantId": "t"}, "u", "", "", "", false},
		{"system-assigned node identity", map[string]string{"useVMManagedIdentity": "True", "tenantId": "t"}, "", "", "", "", true},
		{"pod identity", map[string]string{"usePodIdentity": "true", "clientID": "w"}, "", "", "", "usePodIdentity", false},
		{"two identities", map[string]string{"useVMManagedIdentity": "true", "clientID": "w"}, "", "", "", "both clientID", false},
		{"service principal", map[string]string{"useVMManagedIdentity": "false"}, "", "", "", "service principal", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := identityOf(c.params)
			if id.clientID != c.clientID || id.workloadClientID != c.workloadID || id.tenantID != c.tenant || id.nodeIdentity != c.node {
				t.Errorf("got %+v", id)
			}
			if (c.block == "") != (id.blocker == "") || !strings.Contains(id.blocker, c.block) {
				t.Errorf("blocker %q, want one containing %q", id.blocker, c.block)
			}
		})
	}
}

func TestUnreadableInputIsAnError(t *testing.T) {
	for name, in := range map[string]string{
		"not YAML":                        "kind: Pod\n  name: [unclosed\n",
		"not an object":                   "- just\n- a list\n",
		"wrong field types":               "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers: yes\n",
		"parameters not a map of strings": "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata: {name: x}\nspec: {provider: azure, parameters: [1]}\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Migrate([]byte(in)); err == nil {
				t.Errorf("want an error for %q", in)
			}
		})
	}
}

// A malformed objects parameter is readable input (parameters are strings):
// the class is kept and its workloads are left as is, with the reason.
func TestMalformedObjectsParameterBlocksTheClass(t *testing.T) {
	raw := readFile(t, "testdata/in/tutorial.yaml")
	start, end := bytes.Index(raw, []byte("    objects: |")), bytes.Index(raw, []byte("  secretObjects:"))
	if start < 0 || end < start {
		t.Fatal("tutorial.yaml: no objects parameter")
	}
	in := append(append(append([]byte{}, raw[:start]...), "    objects: \"array: [unclosed\"\n"...), raw[end:]...)
	res, err := Migrate(in)
	if err != nil {
		t.Fatalf("a malformed objects value is reported, not an error: %v", err)
	}
	assertUnchanged(t, res, in)
	assertFinding(t, res, LeftAsIs, "Deployment sampleapp", "SecretProviderClass sample-spc: the objects parameter is not the provider's `array:` of YAML strings")
	assertFinding(t, res, LeftAsIs, "SecretProviderClass sample-spc", "kept in the output: the objects parameter is not")
}

// Every workload of every output decodes strictly into its Kubernetes type.
func TestOutputsDecodeStrictly(t *testing.T) {
	kinds := map[string]func() any{
		"Pod": func() any { return &corev1.Pod{} }, "Deployment": func() any { return &appsv1.Deployment{} },
		"StatefulSet": func() any { return &appsv1.StatefulSet{} }, "DaemonSet": func() any { return &appsv1.DaemonSet{} },
		"ReplicaSet": func() any { return &appsv1.ReplicaSet{} }, "Job": func() any { return &batchv1.Job{} },
		"CronJob": func() any { return &batchv1.CronJob{} }, "Service": func() any { return &corev1.Service{} },
		"ConfigMap": func() any { return &corev1.ConfigMap{} }, "Namespace": func() any { return &corev1.Namespace{} },
	}
	goldens, _ := os.ReadDir(goldenDir)
	for _, g := range goldens {
		if !strings.HasSuffix(g.Name(), ".yaml") {
			continue
		}
		raw, _ := os.ReadFile(goldenDir + "/" + g.Name())
		for _, doc := range splitDocs(t, raw) {
			var tm metav1.TypeMeta
			_ = yaml.Unmarshal(doc, &tm)
			if mk, ok := kinds[tm.Kind]; ok {
				if err := yaml.UnmarshalStrict(doc, mk()); err != nil {
					t.Errorf("%s: %s: %v", g.Name(), tm.Kind, err)
				}
			}
		}
	}
}

func splitDocs(t *testing.T, raw []byte) [][]byte {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	var out [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(doc)) > 0 {
			out = append(out, doc)
		}
	}
}

func decodeKind(t *testing.T, raw []byte, kind string, into any) {
	t.Helper()
	for _, doc := range splitDocs(t, raw) {
		var tm metav1.TypeMeta
		if yaml.Unmarshal(doc, &tm) == nil && tm.Kind == kind {
			if err := yaml.UnmarshalStrict(doc, into); err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			return
		}
	}
	t.Fatalf("no %s in the output", kind)
}

func assertFinding(t *testing.T, res Result, level Level, object, message string) {
	t.Helper()
	for _, f := range res.Findings {
		if f.Level == level && f.Object == object && strings.Contains(f.Message, message) {
			return
		}
	}
	var rep bytes.Buffer
	_ = WriteReport(&rep, res.Findings)
	t.Errorf("no %q finding for %s containing %q in:\n%s", level, object, message, rep.String())
}

// assertNoFinding reports, after why, each finding whose message contains text.
func assertNoFinding(t *testing.T, res Result, text, why string) {
	t.Helper()
	for _, f := range res.Findings {
		if strings.Contains(f.Message, text) {
			t.Errorf("%s: %s", why, f)
		}
	}
}

// assertUnchanged: the output is the input, byte for byte.
func assertUnchanged(t *testing.T, res Result, in []byte) {
	t.Helper()
	if !bytes.Equal(res.Manifests, in) {
		t.Errorf("output differs from input:\n%s", res.Manifests)
	}
}

func assertMap(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
}

func envNames(c corev1.Container) string {
	var names []string
	for _, e := range c.Env {
		names = append(names, e.Name)
	}
	return strings.Join(names, ",")
}

package migrate

import (
	"bytes"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// What one workload does with a class depends on the others of the input:
// the Secret a class syncs lives only while some pod mounts the class, and
// a class stays while anything in the output still mounts or reads it.

func TestVolumeStaysWhileAnotherWorkloadReadsItsSecret(t *testing.T) {
	docs := splitDocs(t, readFile(t, "testdata/in/shared-secret.yaml"))
	spc, deployment, cronJob := docs[0], docs[1], docs[2]
	// The reader after the Deployment, and before it: the decision may not
	// depend on which one migrate meets first.
	for name, order := range map[string][][]byte{
		"reader after":  {spc, deployment, cronJob},
		"reader before": {spc, cronJob, deployment},
	} {
		t.Run(name, func(t *testing.T) {
			res := mustMigrate(t, bytes.Join(order, []byte("---\n")))
			d := &appsv1.Deployment{}
			decodeKind(t, res.Manifests, "Deployment", d)
			pod := d.Spec.Template.Spec
			if d.Spec.Template.Annotations["kvenv.io/env.DB_PASSWORD"] != "DbPassword" || len(pod.Containers[0].Env) != 0 {
				t.Errorf("DB_PASSWORD was not migrated: %+v", d.Spec.Template)
			}
			if len(pod.Volumes) != 1 || len(pod.Containers[0].VolumeMounts) != 1 {
				t.Errorf("the CSI volume went, and with it the Secret the CronJob reads: %+v", pod)
			}
			if !bytes.Contains(res.Manifests, cronJob) {
				t.Errorf("the CronJob was changed:\n%s", res.Manifests)
			}
			assertFinding(t, res, LeftAsIs, "Deployment prod/web", "CSI volume kv of SecretProviderClass app-spc is kept: CronJob prod/cleanup reads Secret app-secret (env CLEANUP_TOKEN of container cleanup) without mounting the class")
			assertFinding(t, res, Note, "SecretProviderClass prod/app-spc", "kept in the output: still used by")
		})
	}
}

// A reader that migrate translates fully no longer needs the Secret: the
// volume goes as usual.
func TestVolumeGoesWhenTheOtherReaderMigratesToo(t *testing.T) {
	raw := readFile(t, "testdata/in/shared-secret.yaml")
	res := mustMigrate(t, bytes.Replace(raw, []byte(", optional: true}"), []byte("}"), 1))
	d := &appsv1.Deployment{}
	decodeKind(t, res.Manifests, "Deployment", d)
	if len(d.Spec.Template.Spec.Volumes) != 0 {
		t.Errorf("volume kept although nothing reads the Secret any more: %+v", d.Spec.Template.Spec.Volumes)
	}
	assertFinding(t, res, Note, "SecretProviderClass prod/app-spc", "dropped from the output")
}

func TestClassWithoutNamespaceServesTheWorkloadsNamespace(t *testing.T) {
	res := migrateFile(t, "testdata/in/no-namespace.yaml")
	assertNoFinding(t, res, "not in the input", "the class was passed, yet")
	assertFinding(t, res, Note, "Deployment prod/api", "SecretProviderClass shared-spc has no namespace in the input: taken to be in namespace prod")
	assertFinding(t, res, Migrated, "Deployment prod/api", "API_KEY=ApiKey")
	assertFinding(t, res, Note, "SecretProviderClass shared-spc", "kept in the output: still used by Deployment prod/batch")
	if !strings.Contains(string(res.Manifests), "kind: SecretProviderClass") {
		t.Errorf("the class was dropped although Deployment prod/batch still mounts it:\n%s", res.Manifests)
	}
}

// A workload that only mounts the class (for its files) needs it as much as
// one that reads its Secret, wherever the namespace comes from.
func TestClassMountedForItsFilesIsKept(t *testing.T) {
	in := strings.Replace(spcInNamespace, "metadata: {name: x-spc, namespace: NS}", "metadata: {name: x-spc}", 1) + "---\n" +
		strings.Replace(strings.Replace(envFromX, "METADATA", "namespace: prod", 1), "envFrom: [{secretRef: {name: x-secret}}]", "command: [/x, --config, /mnt/kv]", 1)
	res := mustMigrate(t, []byte(in))
	assertFinding(t, res, LeftAsIs, "Deployment prod/x", "mounts the volume of SecretProviderClass x-spc but takes none of its values")
	assertFinding(t, res, Note, "SecretProviderClass x-spc", "kept in the output: still used by Deployment prod/x")
	assertUnchanged(t, res, []byte(in))
}

const spcInNamespace = `apiVersion: secrets-store.csi.x-k8s.io/v1
kind: SecretProviderClass
metadata: {name: x-spc, namespace: NS}
spec:
  provider: azure
  parameters:
    keyvaultName: x-kv
    clientID: 0f2a9c1e-5b7d-4e3a-8c6f-2d1b0a9e8f7c
    objects: |
      array:
        - |
          objectName: Token
          objectType: secret
  secretObjects:
    - secretName: x-secret
      type: Opaque
      data: [{objectName: Token, key: token}]
`

// deploymentX is Deployment x up to its container's image: what the
// container takes from x-secret (and the pod's volumes) goes after it.
const deploymentX = `apiVersion: apps/v1
kind: Deployment
metadata: {name: x, METADATA}
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      containers:
        - name: x
          image: registry.example/x:1
`

// envFromX takes the whole Secret: never translated, so the workload keeps
// mounting the class.
const envFromX = deploymentX + `          envFrom: [{secretRef: {name: x-secret}}]
          volumeMounts: [{name: kv, mountPath: /mnt/kv}]
      volumes:
        - name: kv
          csi: {driver: secrets-store.csi.k8s.io, volumeAttributes: {secretProviderClass: x-spc}}
`

// tokenX takes one key of the Secret, through secretKeyRef, in namespace a.
var tokenX = strings.Replace(deploymentX, "METADATA", "namespace: a", 1) +
	"          env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: x-secret, key: token}}}]\n"

func TestClassNamespaceMismatchIsNamed(t *testing.T) {
	t.Run("class only in another namespace", func(t *testing.T) {
		in := strings.Replace(spcInNamespace, "NS", "a", 1) + "---\n" + strings.Replace(envFromX, "METADATA", "namespace: b", 1)
		res := mustMigrate(t, []byte(in))
		assertFinding(t, res, LeftAsIs, "Deployment b/x", "mounts SecretProviderClass x-spc, but the input has it only in namespace a, and a pod mounts the SecretProviderClass of its own namespace (b)")
	})
	t.Run("workload without namespace, class in two", func(t *testing.T) {
		in := strings.Replace(spcInNamespace, "NS", "a", 1) + "---\n" + strings.Replace(spcInNamespace, "NS", "b", 1) + "---\n" +
			strings.Replace(envFromX, ", METADATA", "", 1)
		res := mustMigrate(t, []byte(in))
		assertFinding(t, res, LeftAsIs, "Deployment x", "which the input has in namespaces a, b, and the workload names no namespace")
		assertFinding(t, res, Note, "SecretProviderClass a/x-spc", "kept in the output: still used by Deployment x")
		assertFinding(t, res, Note, "SecretProviderClass b/x-spc", "kept in the output: still used by Deployment x")
		assertUnchanged(t, res, []byte(in))
	})
}

func TestAliasedTemplatesAreLeftAsIs(t *testing.T) {
	res := migrateFile(t, "testdata/in/anchors.yaml")
	worker := splitDocs(t, readFile(t, "testdata/in/anchors.yaml"))[1]
	if !bytes.Contains(res.Manifests, worker) {
		t.Errorf("the worker, whose containers share env through an alias, was changed:\n%s", res.Manifests)
	}
	for _, f := range res.Findings {
		if f.Object == "Deployment queue/worker" && f.Level == Migrated {
			t.Errorf("reported as migrated: %s", f)
		}
	}
	assertFinding(t, res, LeftAsIs, "Deployment queue/worker", "takes part in a YAML alias")
	assertFinding(t, res, Migrated, "Deployment queue/api", "QUEUE_PASSWORD=QueuePassword")
	assertParses(t, res.Manifests)
}

// A template may name an anchor defined outside it (labels written once
// for the Deployment, its selector and its pods): readable input, so no
// error, and the template is left as is.
func TestAliasToOutsideTheTemplateIsReadable(t *testing.T) {
	// tokenX with its labels written once, as an anchor in the Deployment's
	// metadata that its selector and its pod template name.
	in := strings.Replace(spcInNamespace, "NS", "a", 1) + "---\n" + strings.NewReplacer(
		"namespace: a}", "namespace: a, labels: &labels {app: x}}",
		"{matchLabels: {app: x}}", "{matchLabels: *labels}",
		"{labels: {app: x}}", "{labels: *labels}",
	).Replace(tokenX)
	res, err := Migrate([]byte(in))
	if err != nil {
		t.Fatalf("readable input refused: %v", err)
	}
	assertFinding(t, res, LeftAsIs, "Deployment a/x", "takes part in a YAML alias")
	assertUnchanged(t, res, []byte(in))
}

// A class that holds an anchor another item of its List names is kept:
// dropping it would leave the alias naming nothing.
func TestClassHoldingAnAnchorIsKept(t *testing.T) {
	in := list(
		strings.Replace(strings.Replace(spcInNamespace, "NS", "a", 1), "keyvaultName: x-kv", "keyvaultName: &vault x-kv", 1),
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: a}\ndata: {vault: *vault}\n",
		tokenX,
	)
	res := mustMigrate(t, []byte(in))
	assertFinding(t, res, Migrated, "Deployment a/x", "TOKEN=Token")
	assertFinding(t, res, Note, "SecretProviderClass a/x-spc", "holds a YAML anchor that an alias elsewhere in the document names")
	assertParses(t, res.Manifests)
}

// list is a v1 List whose items are docs.
func list(docs ...string) string {
	out := "apiVersion: v1\nkind: List\nitems:\n"
	for _, doc := range docs {
		out += "  - " + strings.ReplaceAll(strings.TrimSuffix(doc, "\n"), "\n", "\n    ") + "\n"
	}
	return out
}

// assertParses: every document of the output is YAML whose aliases name
// anchors it holds.
func assertParses(t *testing.T, manifests []byte) {
	t.Helper()
	for _, doc := range splitDocs(t, manifests) {
		var v any
		if err := yaml.Unmarshal(doc, &v); err != nil {
			t.Errorf("output does not parse: %v\n%s", err, doc)
		}
	}
}

// With the node's identity, the pods would sign in with their workload
// identity under kvenv: not the same, so the workload is left as is.
func TestNodeIdentityDisplacedByWorkloadIdentityIsLeftAsIs(t *testing.T) {
	raw := readFile(t, "testdata/in/node-identity.yaml")
	for name, c := range map[string]struct{ old, new, why string }{
		"label": {"  name: shop-worker\n", "  name: shop-worker\n  labels: {azure.workload.identity/use: \"true\"}\n",
			`the pod template has label azure.workload.identity/use: "true"`},
		"token file": {"    env:\n", "    env:\n    - {name: AZURE_FEDERATED_TOKEN_FILE, value: /var/run/secrets/azure/tokens/azure-identity-token}\n",
			"container worker sets AZURE_FEDERATED_TOKEN_FILE"},
	} {
		t.Run(name, func(t *testing.T) {
			in := bytes.Replace(raw, []byte(c.old), []byte(c.new), 1)
			res := mustMigrate(t, in)
			assertUnchanged(t, res, in)
			assertFinding(t, res, LeftAsIs, "Pod shop/shop-worker", "it signs in with the node's system-assigned managed identity (useVMManagedIdentity), but "+c.why+
				", and kvenv then signs in with the pod's workload identity instead")
		})
	}
}

// The other identities are not displaced: kvenv.io/client-id wins over a
// workload identity, and a workload identity is what the label asks for.
func TestWorkloadIdentityLabelKeepsOtherIdentities(t *testing.T) {
	for _, file := range []string{"tutorial", "shared-secret"} {
		res := migrateFile(t, "testdata/in/"+file+".yaml")
		assertNoFinding(t, res, "signs in with the pod's workload identity instead", file)
	}
	pod := &workload{template: corev1.PodTemplateSpec{}}
	pod.template.Labels = map[string]string{workloadIdentityLabel: "true"}
	if why := (identity{clientID: "u"}).changesFor(pod); why != "" {
		t.Errorf("user-assigned identity: %s", why)
	}
}

package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	migration "github.com/kvenv/kvenv/webhook/migrate"
)

const migrateUsage = `Usage: kvenv-webhook migrate [-f FILE]... > migrated.yaml

Reads Secrets Store CSI driver manifests (SecretProviderClass, provider
azure) and the workloads that read the Secret it syncs through env
secretKeyRef (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
CronJob; multi-document YAML or a kind: List), and prints them with kvenv.io
annotations on the pod template instead. Files in, files out: it never
contacts a cluster or Azure. Pass the SecretProviderClass and the workloads
together (-f is repeatable; - is standard input).

The manifests go to standard output; the report, one line per finding
("migrated:", "left as is:", "note:"), goes to standard error. The exit
status is 1 only when the input cannot be read; what cannot be translated
is reported and left exactly as it was.

What maps:
  keyvaultName                          kvenv.io/vault (a full URL for cloudName
                                        AzureChinaCloud, AzureUSGovernmentCloud)
  env secretKeyRef to a key of a        kvenv.io/env.<VAR>: objectName[/objectVersion]
    secretObjects Secret                (the env entry is removed)
  useVMManagedIdentity +                kvenv.io/client-id: <userAssignedIdentityID>
    userAssignedIdentityID
  useVMManagedIdentity alone            nothing: the node's system-assigned identity
                                        signs in, as before (reported); left as is if
                                        the pod has a workload identity (label
                                        azure.workload.identity/use: "true"), which
                                        kvenv would use instead
  clientID (workload identity)          nothing on the pod: kvenv uses the pod's own
                                        workload identity; the service account must be
                                        annotated azure.workload.identity/client-id and
                                        federated (reported)
  tenantId                              with clientID: nothing on the pod; kvenv signs
                                        in to the tenant of the service account's
                                        azure.workload.identity/tenant-id annotation,
                                        else the cluster's: annotate it with tenantId
                                        unless that is the cluster's tenant (reported).
                                        With a managed identity: nothing, it signs in
                                        to its own tenant
  objectType secret                     the value as stored: for a secret that backs a
                                        certificate stored as PFX, the PFX in base64
                                        where the driver wrote PEM (each object is
                                        reported: check it)
  the CSI volume and its mounts         removed, unless the manifests show that its
                                        files are read or its Secret is still used,
                                        by the workload or by another one of the
                                        input that does not mount the class
  the SecretProviderClass               dropped from the output when nothing in it
                                        needs it any more; kubectl apply does not
                                        delete it from the cluster (reported)
  a container list other than           kvenv.io/containers
    all of spec.containers
  no metadata.namespace on the          taken to be the other's namespace, where
    SecretProviderClass or workload     kubectl apply -n puts both (reported)

What does not map (reported, left as is):
  usePodIdentity (deprecated; move to workload identity first); no identity
  parameter (service principal secret); objectType key or cert; objectEncoding,
  objectFormat, objectVersionHistory; secretObjects of type kubernetes.io/tls;
  envFrom of the whole Secret; secretKeyRef keys that secretObjects does not
  produce; optional secretKeyRefs; variables Kubernetes expands as $(VAR); one
  variable from different secrets in two containers; several
  SecretProviderClasses (or vaults) in one pod; files read from the mount;
  pod templates that already carry different kvenv.io annotations; pod
  templates that take part in a YAML alias (&anchor, *alias).

Flags:
`

// migrate prints manifests rewritten from CSI driver secretKeyRefs to kvenv
// annotations, with a report on stderr of what moved and what did not.
func migrate(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	files := fileList{}
	fs.Var(&files, "f", "manifest file (multi-document YAML), - for standard input; repeatable (default -)")
	fs.Usage = func() {
		fmt.Fprint(stderr, migrateUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate: unexpected argument %q: name files with -f", fs.Arg(0))
	}
	if len(files) == 0 {
		files = fileList{"-"}
	}
	in, err := readManifests(files, stdin)
	if err != nil {
		return err
	}
	res, err := migration.Migrate(in)
	if err != nil {
		return fmt.Errorf("migrate: cannot read the input: %w", err)
	}
	if _, err := stdout.Write(res.Manifests); err != nil {
		return err
	}
	return migration.WriteReport(stderr, res.Findings)
}

// readManifests joins the files into one multi-document stream.
func readManifests(files []string, stdin io.Reader) ([]byte, error) {
	var all bytes.Buffer
	for i, name := range files {
		data, err := readManifest(name, stdin)
		if err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		if i > 0 {
			all.WriteString("---\n")
		}
		all.Write(data)
		if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
			all.WriteByte('\n')
		}
	}
	return all.Bytes(), nil
}

// readManifest reads one -f argument: a file, or - for standard input.
func readManifest(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

// fileList collects repeated -f flags.
type fileList []string

func (f *fileList) String() string     { return fmt.Sprint([]string(*f)) }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

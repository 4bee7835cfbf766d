package webhook

// The pod annotations kvenv reads and writes, and the namespace label and
// annotation that scope it. Everything under the kvenv.io/ prefix that is not
// listed here is denied, so a typo never silently disables a secret.
const (
	// AnnotationVault is the pod's default vault: a vault name ("myvault",
	// expanded with the configured DNS suffix) or an https:// URL.
	AnnotationVault = "kvenv.io/vault"
	// AnnotationEnvPrefix starts one annotation per variable:
	// kvenv.io/env.<VAR> with value <secret>, <secret>/<version> or
	// https://<vault-host>/secrets/<name>[/<version>].
	AnnotationEnvPrefix = "kvenv.io/env."
	// AnnotationContainers is a comma list of the containers that get the
	// variables. Default: every entry of spec.containers; init containers and
	// native sidecars only when named here.
	AnnotationContainers = "kvenv.io/containers"
	// AnnotationClientID is the client ID of a user-assigned managed identity
	// the init container signs in with. Without it: the pod's workload
	// identity if it has one, else the node's managed identity.
	AnnotationClientID = "kvenv.io/client-id"
	// AnnotationInject set to "false" opts a pod out; "true" is the default.
	AnnotationInject = "kvenv.io/inject"
	// AnnotationStatus is written by kvenv on every pod it mutated.
	AnnotationStatus = "kvenv.io/status"
	// StatusInjected is the value of AnnotationStatus.
	StatusInjected = "injected"

	// NamespaceLabel set to NamespaceLabelEnabled sends a namespace's pods to
	// kvenv (the webhook configuration selects on it).
	NamespaceLabel = "kvenv.io/injection"
	// NamespaceLabelEnabled is the value of NamespaceLabel that opts in.
	NamespaceLabelEnabled = "enabled"
	// NamespaceAllowedVaults is a namespace annotation: a comma list of vault
	// names or hosts. It narrows the cluster-wide list: a pod's vault must be
	// allowed by both.
	NamespaceAllowedVaults = "kvenv.io/allowed-vaults"
)

const (
	// annotationPrefix is what the webhook's matchConditions select on.
	annotationPrefix = "kvenv.io/"
	// maxAnnotationValue bounds each kvenv.io/ value: a full secret URI is
	// under 300 bytes and a long containers list well under 2 KiB, so more is
	// a mistake (a pasted value instead of a reference, for instance).
	maxAnnotationValue = 2048
	// workloadIdentityLabel is how a pod asks the Azure workload identity
	// webhook for its env and token volume; that webhook may run after kvenv.
	workloadIdentityLabel = "azure.workload.identity/use"
)

// knownAnnotations are the fixed kvenv.io/ keys (the env prefix aside).
var knownAnnotations = []string{
	AnnotationVault, AnnotationContainers, AnnotationClientID, AnnotationInject, AnnotationStatus,
}

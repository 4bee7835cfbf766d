package migrate

import "github.com/kvenv/kvenv/webhook"

// The annotations migrate writes are the webhook's own: one source.
const (
	annotationVault      = webhook.AnnotationVault
	annotationEnvPrefix  = webhook.AnnotationEnvPrefix
	annotationClientID   = webhook.AnnotationClientID
	annotationContainers = webhook.AnnotationContainers
	annotationInject     = webhook.AnnotationInject
	// namespaceLabel opts a namespace's pods in to kvenv.
	namespaceLabel        = webhook.NamespaceLabel
	namespaceLabelEnabled = webhook.NamespaceLabelEnabled

	// csiDriver is the Secrets Store CSI driver's name in pod volumes.
	csiDriver = "secrets-store.csi.k8s.io"
	// spcGroup is the API group of SecretProviderClass.
	spcGroup = "secrets-store.csi.x-k8s.io"
	// workloadIdentityLabel asks the Azure workload identity webhook to give
	// the pod its token and env; without it kvenv falls back to the node.
	workloadIdentityLabel = "azure.workload.identity/use"
	// workloadIdentityClientID is the service account annotation that names
	// the identity a federated service account stands for.
	workloadIdentityClientID = "azure.workload.identity/client-id"
	// workloadIdentityTenantID is the service account annotation that names
	// the tenant the pod signs in to; without it, the cluster's tenant.
	workloadIdentityTenantID = "azure.workload.identity/tenant-id"
	// federatedTokenEnv, set in a container, makes kvenv sign in with the
	// pod's workload identity rather than the node's.
	federatedTokenEnv = "AZURE_FEDERATED_TOKEN_FILE"
)

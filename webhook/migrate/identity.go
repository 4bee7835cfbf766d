package migrate

import (
	"fmt"
	"regexp"
	"strings"
)

// identity is how the SecretProviderClass signed in to Key Vault, and what
// that becomes for kvenv.
type identity struct {
	// clientID is the kvenv.io/client-id value ("" writes nothing).
	clientID string
	// workloadClientID is the SPC's clientID (workload identity): kvenv uses
	// the pod's own workload identity, so it goes on the service account.
	workloadClientID string
	// tenantID is the SPC's tenantId. The driver signs in to it; kvenv signs
	// a workload identity in to the tenant the pod is given, and a managed
	// identity in to its own.
	tenantID string
	// nodeIdentity: useVMManagedIdentity without a user-assigned ID.
	nodeIdentity bool
	blocker      string
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isTrue(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "true") }

func identityOf(p map[string]string) identity {
	podIdentity, vmIdentity := isTrue(p["usePodIdentity"]), isTrue(p["useVMManagedIdentity"])
	workloadID, userAssigned := p["clientID"], p["userAssignedIdentityID"]
	switch {
	case podIdentity:
		return identity{blocker: "usePodIdentity: pod-managed identity is deprecated and kvenv does not support it; " +
			"move the SecretProviderClass to workload identity (clientID, a federated service account) and run migrate again"}
	case workloadID != "" && vmIdentity:
		return identity{blocker: "both clientID (workload identity) and useVMManagedIdentity are set: keep the one the pods really use and run migrate again"}
	case workloadID != "":
		return identity{workloadClientID: workloadID, tenantID: strings.TrimSpace(p["tenantId"])}
	case vmIdentity && userAssigned != "":
		return identity{clientID: userAssigned}
	case vmIdentity:
		return identity{nodeIdentity: true}
	}
	return identity{blocker: "no identity parameter: the driver signs in with a service principal secret from nodePublishSecretRef, " +
		"which kvenv does not take; use workload identity (clientID) and run migrate again"}
}

// notes says what the identity became, for the report of a migrated workload.
func (id identity) notes(w *workload) []string {
	switch {
	case id.clientID != "":
		n := []string{fmt.Sprintf("identity: kvenv.io/client-id %s, the node's user-assigned managed identity the SecretProviderClass used; "+
			"every pod on those nodes can use that identity, so prefer workload identity (one identity per service account)", id.clientID)}
		if !guidPattern.MatchString(id.clientID) {
			n = append(n, fmt.Sprintf("userAssignedIdentityID %q is not a client ID (a GUID): if it is a template placeholder, substitute it before applying", id.clientID))
		}
		return n
	case id.nodeIdentity:
		return []string{"identity: none written: as with the SecretProviderClass, the node's system-assigned managed identity signs in " +
			"(the webhook warns at admission); every pod on the node shares it, so prefer workload identity"}
	case id.workloadClientID != "":
		n := []string{workloadIdentityNote(id.workloadClientID, w)}
		if id.tenantID != "" {
			n = append(n, workloadTenantNote(id.tenantID, w))
		}
		return n
	}
	return nil
}

// changesFor says why kvenv would sign the pods of w in with another
// identity than the SecretProviderClass did, or "". Only the node's own
// identity can be displaced: kvenv prefers the pod's workload identity to it,
// and no annotation asks kvenv for the node's system-assigned identity.
func (id identity) changesFor(w *workload) string {
	if !id.nodeIdentity {
		return ""
	}
	why := w.hasWorkloadIdentity()
	if why == "" {
		return ""
	}
	return fmt.Sprintf("it signs in with the node's system-assigned managed identity (useVMManagedIdentity), but %s, and kvenv then signs in with the pod's workload identity instead; "+
		"give the SecretProviderClass the identity the pods should use (clientID, or userAssignedIdentityID) and run migrate again", why)
}

// workloadIdentityNote: kvenv reads the workload identity from the pod, so the
// service account must be federated and annotated, and the pod labelled.
func workloadIdentityNote(clientID string, w *workload) string {
	sa := serviceAccountOf(w)
	n := fmt.Sprintf("identity: nothing on the pod: kvenv signs in with the pod's workload identity, so service account %s must carry "+
		"annotation %s: %s and be federated with that identity", sa, workloadIdentityClientID, clientID)
	if w.template.Labels[workloadIdentityLabel] != "true" {
		n += fmt.Sprintf("; the pod template lacks label %s: \"true\", without which kvenv falls back to the node's identity: add it", workloadIdentityLabel)
	}
	return n
}

// workloadTenantNote: the driver signed in to the SPC's tenantId; kvenv signs
// in to AZURE_TENANT_ID, which the workload identity webhook takes from the
// service account's annotation, else from the cluster's own tenant.
func workloadTenantNote(tenant string, w *workload) string {
	sa := serviceAccountOf(w)
	return fmt.Sprintf("tenant: the SecretProviderClass signed in to tenantId %s; kvenv signs in to the tenant of service account %s's annotation %s, "+
		"else the cluster's tenant: unless %s is the cluster's tenant, annotate service account %s with %s: %s",
		tenant, sa, workloadIdentityTenantID, tenant, sa, workloadIdentityTenantID, tenant)
}

func serviceAccountOf(w *workload) string {
	if sa := w.template.Spec.ServiceAccountName; sa != "" {
		return sa
	}
	return "default"
}

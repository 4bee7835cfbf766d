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
		return identity{workloadClientID: workloadID}
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
		return []string{workloadIdentityNote(id.workloadClientID, w)}
	}
	return nil
}

// workloadIdentityNote: kvenv reads the workload identity from the pod, so the
// service account must be federated and annotated, and the pod labelled.
func workloadIdentityNote(clientID string, w *workload) string {
	sa := w.template.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	n := fmt.Sprintf("identity: nothing on the pod: kvenv signs in with the pod's workload identity, so service account %s must carry "+
		"annotation %s: %s and be federated with that identity", sa, workloadIdentityClientID, clientID)
	if w.template.Labels[workloadIdentityLabel] != "true" {
		n += fmt.Sprintf("; the pod template lacks label %s: \"true\", without which kvenv falls back to the node's identity: add it", workloadIdentityLabel)
	}
	return n
}

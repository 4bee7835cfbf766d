package fetch

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// IdentityConfig chooses the identity kvenv authenticates as.
type IdentityConfig struct {
	// ClientID (--client-id, from kvenv.io/client-id) selects a user-assigned
	// managed identity and wins over everything else.
	ClientID string
	// The workload identity variables, as the workload identity webhook injects
	// them (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, AZURE_TENANT_ID).
	// A token file selects workload identity.
	FederatedTokenFile, WorkloadClientID, TenantID string
	// AuthorityHost is the Entra ID host (--authority-host, else
	// AZURE_AUTHORITY_HOST); empty means the public cloud.
	AuthorityHost string
	// DisableInstanceDiscovery skips the authority metadata request to
	// login.microsoftonline.com, which private clouds cannot answer.
	DisableInstanceDiscovery bool
	// RequireWorkloadIdentityFor (--require-workload-identity) names the
	// service account of a pod labelled azure.workload.identity/use whose
	// containers had no workload identity variables at admission. Without
	// a token file kvenv then fails, rather than sign in as the node's
	// managed identity, which every pod on the node shares.
	RequireWorkloadIdentityFor string
}

// IdentityFromEnv fills the workload identity fields from getenv, and the
// authority host from AZURE_AUTHORITY_HOST unless one is given.
func IdentityFromEnv(getenv func(string) string, ic IdentityConfig) IdentityConfig {
	ic.FederatedTokenFile = getenv("AZURE_FEDERATED_TOKEN_FILE")
	ic.WorkloadClientID = getenv("AZURE_CLIENT_ID")
	ic.TenantID = getenv("AZURE_TENANT_ID")
	if ic.AuthorityHost == "" {
		ic.AuthorityHost = getenv("AZURE_AUTHORITY_HOST")
	}
	return ic
}

// Identity names the identity in use, for messages.
type Identity struct {
	Mode      Mode
	ClientID  string
	TenantID  string
	TokenFile string
	Authority string
}

// Mode is how the init container authenticates.
type Mode string

// The three identity modes, in the order kvenv chooses between them.
const (
	UserAssignedManagedIdentity Mode = "managed identity"
	WorkloadIdentity            Mode = "workload identity"
	NodeManagedIdentity         Mode = "node managed identity"
)

func (i Identity) String() string {
	switch i.Mode {
	case WorkloadIdentity:
		return fmt.Sprintf("workload identity (client ID %s, tenant %s)", i.ClientID, i.TenantID)
	case UserAssignedManagedIdentity:
		return fmt.Sprintf("managed identity (client ID %s)", i.ClientID)
	}
	return "the node's managed identity"
}

// newCredential builds the credential for ic; every token request goes
// through opts, so a private CA and retries apply to Entra ID too.
func newCredential(ic IdentityConfig, opts azcore.ClientOptions) (azcore.TokenCredential, Identity, error) {
	switch {
	case ic.ClientID != "":
		id := Identity{Mode: UserAssignedManagedIdentity, ClientID: ic.ClientID}
		cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ClientOptions: opts, ID: azidentity.ClientID(ic.ClientID),
		})
		return tagged(cred, err, id)
	case ic.FederatedTokenFile != "":
		return newWorkloadCredential(ic, opts)
	case ic.RequireWorkloadIdentityFor != "":
		return nil, Identity{Mode: WorkloadIdentity}, missingWorkloadIdentity(ic)
	default:
		cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts})
		return tagged(cred, err, Identity{Mode: NodeManagedIdentity})
	}
}

func newWorkloadCredential(ic IdentityConfig, opts azcore.ClientOptions) (azcore.TokenCredential, Identity, error) {
	id := Identity{Mode: WorkloadIdentity, ClientID: ic.WorkloadClientID, TenantID: ic.TenantID,
		TokenFile: ic.FederatedTokenFile, Authority: ic.AuthorityHost}
	if ic.WorkloadClientID == "" || ic.TenantID == "" {
		return nil, id, fmt.Errorf("workload identity: AZURE_FEDERATED_TOKEN_FILE is set but AZURE_CLIENT_ID or AZURE_TENANT_ID is empty: " +
			"annotate the service account with azure.workload.identity/client-id (and tenant-id), or set kvenv.io/client-id to use a managed identity")
	}
	if ic.AuthorityHost != "" {
		// The option, unlike the environment variable, also reaches a host
		// given on the command line.
		opts.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: ic.AuthorityHost}
	}
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions: opts, ClientID: ic.WorkloadClientID, TenantID: ic.TenantID,
		TokenFilePath: ic.FederatedTokenFile, DisableInstanceDiscovery: ic.DisableInstanceDiscovery,
	})
	return tagged(cred, err, id)
}

// missingWorkloadIdentity is the one line for a pod that asked for workload
// identity and did not get it: what is missing, and what to do.
func missingWorkloadIdentity(ic IdentityConfig) error {
	missing := []string{"AZURE_FEDERATED_TOKEN_FILE"}
	if ic.WorkloadClientID == "" {
		missing = append(missing, "AZURE_CLIENT_ID")
	}
	if ic.TenantID == "" {
		missing = append(missing, "AZURE_TENANT_ID")
	}
	return fmt.Errorf("workload identity: the pod has label azure.workload.identity/use: \"true\" but kvenv-init has no %s, "+
		"so kvenv stops rather than sign in as the node's managed identity, which every pod on the node shares: "+
		"install or fix the Azure workload identity webhook (it must mutate this pod; if it runs after kvenv, keep kvenv's reinvocationPolicy IfNeeded) "+
		"and check that service account %s has the annotation azure.workload.identity/client-id, then recreate the pod; "+
		"or set kvenv.io/client-id to use a managed identity",
		strings.Join(missing, ", "), ic.RequireWorkloadIdentityFor)
}

func tagged(cred azcore.TokenCredential, err error, id Identity) (azcore.TokenCredential, Identity, error) {
	if err != nil {
		return nil, id, fmt.Errorf("%s: %w", id, err)
	}
	return tokenCredential{cred}, id, nil
}

// tokenCredential marks its failures, so an error from a secret request can
// be told apart as "could not get a token" whatever the SDK wraps it in.
type tokenCredential struct{ azcore.TokenCredential }

func (c tokenCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	ctx, last := recordLastTry(ctx)
	tok, err := c.TokenCredential.GetToken(ctx, o)
	switch {
	case err == nil:
		return tok, nil
	case last.get() != nil && ctx.Err() == nil:
		// The retries ended on a try without an answer: say so, as the
		// error azidentity returns no longer can.
		return tok, &tokenError{last.get()}
	}
	return tok, &tokenError{err}
}

// tokenError is non-retriable (the SDK would treat it so anyway); declaring
// it keeps the SDK from hiding it inside its own unwrappable wrapper.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }
func (e *tokenError) NonRetriable() {}

func asTokenError(err error) (*tokenError, bool) {
	var te *tokenError
	return te, errors.As(err, &te)
}

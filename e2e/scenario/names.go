package scenario

import "github.com/kvenv/kvenv/e2e/cluster"

// Where things live in the cluster.
const (
	KvenvNamespace = "kvenv-system"
	KvenvRelease   = "kvenv"
	AppNamespace   = "sampleapp" // labelled kvenv.io/injection=enabled
	AppName        = "sampleapp" // Deployment, container and service account
	// IntruderServiceAccount is federated with an Azure identity that has
	// no access to the vault: its pods must fail with a 403.
	IntruderServiceAccount = "intruder"
	// Database is the tutorial database the app's user owns.
	Database = "spring"
)

// The secrets' names in Key Vault, as in the tutorial.
const (
	SecretURL      = "DatasourceURL"
	SecretUsername = "DatasourceUsername"
	SecretPassword = "DatasourcePassword"
)

// Azure workload identity as the projected token and the Azure Workload
// Identity webhook set it up.
const (
	tokenDir  = "/var/run/secrets/azure/tokens"
	tokenFile = "azure-identity-token"
	tokenVol  = "azure-identity-token"
)

// GoBinaries are built (static) before the cluster's network namespace is
// entered: the three kvenv binaries of the kvenv image and the sample app.
var GoBinaries = []cluster.GoBinary{
	{Name: "kvenv-webhook", Package: "github.com/kvenv/kvenv/cmd/kvenv-webhook"},
	{Name: "kvenv", Package: "github.com/kvenv/kvenv/cmd/kvenv"},
	{Name: "kvenv-exec", Package: "github.com/kvenv/kvenv/cmd/kvenv-exec"},
	{Name: "sampleapp", Package: "github.com/kvenv/kvenv/e2e/sampleapp"},
}

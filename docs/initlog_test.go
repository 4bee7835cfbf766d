package docs

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/kvenv/kvenv/internal/azurefake"
	"github.com/kvenv/kvenv/internal/leakcheck"
)

const (
	// pageVault is the vault URL of the page's log lines.
	pageVault = "https://myvault.vault.azure.net"
	// pageTenant is the tenant of the page's examples (its OIDC issuer URL);
	// in a pod the workload identity webhook sets it as AZURE_TENANT_ID.
	pageTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	// initLogs is the page's command that shows the init container's log.
	initLogs = "kubectl -n sampleapp logs -l app=sampleapp -c kvenv-init"
	// appIdentity is the fake Entra ID's name for the app's identity.
	appIdentity = "sampleapp-identity"
)

var elapsed = regexp.MustCompile(`elapsed=\S+`)

// TestQuickstartInitLogLinesAreReal runs the real kvenv binary, with the
// arguments the webhook gives the page's sampleapp.yaml and the workload
// identity the page sets up, against wire-level fakes of Key Vault and
// Entra ID, and wants each log the page shows, byte for byte: the vault URL
// (a loopback address here) and the elapsed time are the only differences
// allowed.
func TestQuickstartInitLogLinesAreReal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kvenv; run without -short")
	}
	blocks := readBlocks(t, quickstart)
	shown := initLogCommands(t, blocks)
	args, clientID := sampleappInit(t, blocks)
	bin := buildCommand(t, "kvenv")
	all := []string{"DatasourceURL", "DatasourceUsername", "DatasourcePassword"}
	for _, sc := range []struct {
		name     string
		shows    string   // text of the shown log that this scenario produces
		readable []string // the secrets the identity may read; nil: the vault (a role on it)
		rename   [2]string
	}{
		{name: "fetched", shows: "kvenv: fetched "},
		{name: "403 on one secret", shows: ": 403 Forbidden ", readable: all[:2]},
		{name: "404 for a misspelt name", shows: ": 404 Not Found ",
			rename: [2]string{"/secrets/DatasourceURL", "/secrets/DatasourceUrl"}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			want := shownLog(t, shown, sc.shows)
			w := newFakeAzure(t, clientID, all, sc.readable)
			refs := strings.ReplaceAll(strings.Join(args, "\n"), pageVault, w.vault)
			if sc.rename[0] != "" {
				refs = strings.ReplaceAll(refs, sc.rename[0], sc.rename[1])
			}
			got := w.runInit(t, bin, clientID, strings.Split(refs, "\n"))
			got = strings.ReplaceAll(got, w.vault, pageVault)
			if elapsed.ReplaceAllString(got, "elapsed=…") != elapsed.ReplaceAllString(want.output, "elapsed=…") {
				t.Errorf("%s: the page shows\n%s\nkvenv prints\n%s", want, want.output, got)
			}
		})
	}
}

// initLogCommands are the page's commands that show kvenv-init's log.
func initLogCommands(t *testing.T, blocks []block) []command {
	t.Helper()
	var out []command
	for _, s := range steps(t, blocks) {
		if s.cmd.text == initLogs {
			out = append(out, s.cmd)
		}
	}
	return out
}

// shownLog is the one shown log whose output contains text.
func shownLog(t *testing.T, shown []command, text string) command {
	t.Helper()
	var found []command
	for _, c := range shown {
		if strings.Contains(c.output, text) {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %q whose output has %q, found %d", initLogs, text, len(found))
	}
	return found[0]
}

// sampleappInit returns the arguments of the init container the webhook
// adds to sampleapp.yaml's Deployment, and the client ID of the service
// account, which the workload identity webhook hands the pod.
func sampleappInit(t *testing.T, blocks []block) (args []string, clientID string) {
	t.Helper()
	i := slices.IndexFunc(blocks, func(b block) bool { return b.file == "sampleapp.yaml" })
	if i < 0 {
		t.Fatal("the page has no sampleapp.yaml")
	}
	rendered, err := render(blocks[i].body)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range splitYAML(t, []byte(rendered)) {
		sa, d := &corev1.ServiceAccount{}, &appsv1.Deployment{}
		if yaml.Unmarshal(doc, sa) == nil && sa.Kind == "ServiceAccount" {
			clientID = sa.Annotations["azure.workload.identity/client-id"]
		}
		if yaml.Unmarshal(doc, d) == nil && d.Kind == "Deployment" {
			for _, c := range d.Spec.Template.Spec.InitContainers {
				if c.Name == "kvenv-init" {
					args = c.Args
				}
			}
		}
	}
	if args == nil || clientID == "" {
		t.Fatalf("sampleapp.yaml rendered without an init container or a client ID:\n%s", rendered)
	}
	return args, clientID
}

// fakeAzure is Entra ID and one vault, on loopback, in the page's tenant.
type fakeAzure struct {
	ca        *azurefake.CA
	entraURL  string
	vault     string
	tokenFile string
	values    []string
}

// newFakeAzure stores the named secrets and lets the app's workload
// identity (clientID, federated with the page's service account) read those
// of readable, or the whole vault when readable is nil.
func newFakeAzure(t *testing.T, clientID string, secrets, readable []string) *fakeAzure {
	t.Helper()
	ca, err := azurefake.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	tokens := azurefake.NewTokens()
	enc := base64.RawURLEncoding.EncodeToString
	// Shaped like a projected service account token; the fake compares it verbatim.
	assertion := enc([]byte(`{"alg":"RS256"}`)) + "." +
		enc([]byte(`{"sub":"system:serviceaccount:sampleapp:sampleapp","aud":["api://AzureADTokenExchange"]}`)) + ".c2ln"
	entra := azurefake.NewEntra(azurefake.EntraOptions{Tenant: pageTenant, Tokens: tokens,
		Federation: azurefake.StaticFederation(map[azurefake.FederatedAssertion]string{{ClientID: clientID, Assertion: assertion}: appIdentity})})
	kv := azurefake.NewKeyVault(azurefake.KeyVaultOptions{Tenant: pageTenant, Tokens: tokens})
	w := &fakeAzure{ca: ca, entraURL: azurefake.StartLoopback(t, ca, entra).URL, vault: azurefake.StartLoopback(t, ca, kv).URL}
	for _, name := range secrets {
		value := "value of " + name
		kv.Put(name, value)
		w.values = append(w.values, value)
	}
	kv.Allow(appIdentity, readable...)
	w.tokenFile = filepath.Join(t.TempDir(), "azure-identity-token")
	if err := os.WriteFile(w.tokenFile, []byte(assertion), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// runInit runs kvenv with the init container's arguments, in a temporary
// directory instead of the pod's volume, and with the environment the
// workload identity webhook gives the pod; it returns what the container's
// log would hold (stdout and stderr).
func (w *fakeAzure) runInit(t *testing.T, bin, clientID string, args []string) string {
	t.Helper()
	execSrc := filepath.Join(t.TempDir(), "kvenv-exec")
	if err := os.WriteFile(execSrc, []byte("stands in for the wrapper"), 0o755); err != nil {
		t.Fatal(err)
	}
	dash := slices.Index(args, "--")
	if dash < 0 {
		t.Fatalf("no -- in the init container's arguments %q", args)
	}
	// Later flags win: the pod's --dir is replaced, and the fake Entra ID
	// serves no instance discovery.
	argv := slices.Concat(args[:dash],
		[]string{"--dir=" + t.TempDir(), "--exec-source=" + execSrc, "--disable-instance-discovery"}, args[dash:])
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, argv...)
	cmd.Env = []string{
		"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(),
		"AZURE_CLIENT_ID=" + clientID, "AZURE_TENANT_ID=" + pageTenant,
		"AZURE_FEDERATED_TOKEN_FILE=" + w.tokenFile, "AZURE_AUTHORITY_HOST=" + w.entraURL + "/",
		"KVENV_CA_BUNDLE=" + string(w.ca.PEM()),
	}
	out, err := cmd.CombinedOutput()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("running kvenv: %v", err)
	}
	leakcheck.Check(t, "kvenv's log", string(out), w.values...)
	return string(out)
}

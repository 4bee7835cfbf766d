package docs

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The az, docker and curl lines of the pages are checked against the
// documentation of those tools, NOT run: there is no Azure account, registry
// or app here. Each entry below is a subcommand the pages use, the flags its
// reference page lists that the pages may use, the flags that page marks
// required, and the page itself. A line with an unknown subcommand, a flag
// not listed, or a required flag missing fails the test.

type reference struct {
	path     string              // subcommand, e.g. "identity federated-credential create"
	flags    []string            // every accepted spelling, long and short
	required [][]string          // each inner list: one of these spellings must appear
	values   map[string][]string // flags whose values the reference enumerates
	args     bool                // positional arguments allowed
	doc      string
}

var azGlobalFlags = []string{"--query", "--output", "-o", "--only-show-errors", "--subscription", "--debug", "--verbose"}

var azOutput = map[string][]string{"--output": {"json", "jsonc", "none", "table", "tsv", "yaml", "yamlc"}, "-o": {"json", "jsonc", "none", "table", "tsv", "yaml", "yamlc"}}

var rg, name = []string{"--resource-group", "-g"}, []string{"--name", "-n"}

var references = map[string][]reference{
	"az": {
		{path: "aks update", flags: flags(rg, name, "--enable-oidc-issuer", "--enable-workload-identity"), required: [][]string{rg, name},
			doc: "https://learn.microsoft.com/en-us/cli/azure/aks#az-aks-update"},
		{path: "aks get-credentials", flags: flags(rg, name, "--overwrite-existing", "--file", "-f"), required: [][]string{rg, name},
			doc: "https://learn.microsoft.com/en-us/cli/azure/aks#az-aks-get-credentials"},
		{path: "aks show", flags: flags(rg, name), required: [][]string{rg, name},
			doc: "https://learn.microsoft.com/en-us/cli/azure/aks#az-aks-show"},
		{path: "identity create", flags: flags(rg, name, "--location", "-l", "--tags"), required: [][]string{rg, name},
			doc: "https://learn.microsoft.com/en-us/cli/azure/identity#az-identity-create"},
		{path: "identity show", flags: flags(rg, name, "--ids"),
			doc: "https://learn.microsoft.com/en-us/cli/azure/identity#az-identity-show"},
		{path: "identity federated-credential create", flags: flags(rg, name, "--identity-name", "--issuer", "--subject", "--audiences"),
			required: [][]string{rg, name, {"--identity-name"}},
			doc:      "https://learn.microsoft.com/en-us/cli/azure/identity/federated-credential#az-identity-federated-credential-create"},
		{path: "keyvault show", flags: flags(rg, name, "--hsm-name"),
			doc: "https://learn.microsoft.com/en-us/cli/azure/keyvault#az-keyvault-show"},
		{path: "keyvault update", flags: flags(rg, name, "--enable-rbac-authorization"), required: [][]string{name},
			values: map[string][]string{"--enable-rbac-authorization": {"true", "false"}},
			doc:    "https://learn.microsoft.com/en-us/cli/azure/keyvault#az-keyvault-update"},
		{path: "keyvault set-policy", flags: flags(rg, name, "--object-id", "--spn", "--upn", "--secret-permissions", "--key-permissions", "--certificate-permissions"),
			required: [][]string{name}, values: map[string][]string{"--secret-permissions": {"all", "backup", "delete", "get", "list", "purge", "recover", "restore", "set"}},
			doc: "https://learn.microsoft.com/en-us/cli/azure/keyvault#az-keyvault-set-policy"},
		{path: "keyvault secret set", flags: flags(name, "--vault-name", "--value", "--file", "-f", "--encoding", "-e", "--content-type", "--description"),
			required: [][]string{name, {"--vault-name"}},
			doc:      "https://learn.microsoft.com/en-us/cli/azure/keyvault/secret#az-keyvault-secret-set"},
		{path: "role assignment create", flags: flags(rg, "--role", "--assignee", "--assignee-object-id", "--assignee-principal-type", "--scope", "--description", "--condition", "--condition-version"),
			required: [][]string{{"--role"}, {"--assignee", "--assignee-object-id"}},
			values:   map[string][]string{"--assignee-principal-type": {"ForeignGroup", "Group", "ServicePrincipal", "User"}},
			doc:      "https://learn.microsoft.com/en-us/cli/azure/role/assignment#az-role-assignment-create"},
	},
	"docker": {
		{path: "image inspect", flags: []string{"--format", "-f", "--platform"}, args: true,
			doc: "https://docs.docker.com/reference/cli/docker/image/inspect/"},
		{path: "run", flags: []string{"--rm", "--interactive", "-i", "--volume", "-v", "--workdir", "-w"}, args: true,
			doc: "https://docs.docker.com/reference/cli/docker/container/run/"},
	},
	"curl": {
		{path: "", flags: []string{"--header", "-H", "--request", "-X", "--data", "-d", "--silent", "-s", "--fail", "-f"}, args: true,
			doc: "https://curl.se/docs/manpage.html"},
	},
}

func flags(parts ...any) []string {
	var out []string
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			out = append(out, v)
		case []string:
			out = append(out, v...)
		}
	}
	return out
}

// checkAgainstReference checks one command line (program first).
func checkAgainstReference(args []string) error {
	refs, ok := references[args[0]]
	if !ok {
		return fmt.Errorf("%s has no reference table in docs/reference_test.go", args[0])
	}
	ref, rest := findReference(refs, args[1:])
	if ref == nil {
		return fmt.Errorf("%s: no documented subcommand %q in the table", args[0], strings.Join(args[1:], " "))
	}
	allowed := ref.flags
	values := ref.values
	if args[0] == "az" {
		allowed = append(slices.Clone(allowed), azGlobalFlags...)
		values = mergeValues(values, azOutput)
	}
	seen := map[string]bool{}
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if !strings.HasPrefix(a, "-") {
			if !ref.args {
				return fmt.Errorf("%s %s: unexpected argument %q (see %s)", args[0], ref.path, a, ref.doc)
			}
			continue
		}
		flag, value, hasValue := strings.Cut(a, "=")
		if !slices.Contains(allowed, flag) {
			return fmt.Errorf("%s %s: flag %s is not in its reference %s", args[0], ref.path, flag, ref.doc)
		}
		seen[flag] = true
		if !hasValue && i+1 < len(rest) && !strings.HasPrefix(rest[i+1], "-") {
			value, hasValue = rest[i+1], true
			i++
		}
		if enum, ok := values[flag]; ok && (!hasValue || !slices.Contains(enum, value)) {
			return fmt.Errorf("%s %s: %s %q is not one of %v (%s)", args[0], ref.path, flag, value, enum, ref.doc)
		}
	}
	for _, one := range ref.required {
		if !slices.ContainsFunc(one, func(f string) bool { return seen[f] }) {
			return fmt.Errorf("%s %s: required %s missing (%s)", args[0], ref.path, strings.Join(one, " or "), ref.doc)
		}
	}
	return nil
}

// findReference matches the longest subcommand path.
func findReference(refs []reference, args []string) (*reference, []string) {
	var best *reference
	var rest []string
	for i := range refs {
		path := strings.Fields(refs[i].path)
		if len(path) <= len(args) && slices.Equal(path, args[:len(path)]) && (best == nil || len(path) > len(strings.Fields(best.path))) {
			best, rest = &refs[i], args[len(path):]
		}
	}
	return best, rest
}

func mergeValues(a, b map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// The checker itself rejects what it should, so a passing page means something.
func TestReferenceCheckerRejects(t *testing.T) {
	for _, bad := range []string{
		"az identity federated-credential create --name a --identity-name b -g c --audience api://AzureADTokenExchange",
		"az identity federated-credential create --name a -g c --issuer x",
		"az keyvault secrets set --vault-name v --name n",
		"az role assignment create --role r --assignee-object-id o --assignee-principal-type MSI",
		"az aks show -g rg -n c -o text",
		"curl --post http://x",
		"kubectl get pods",
	} {
		if err := checkAgainstReference(strings.Fields(bad)); err == nil {
			t.Errorf("accepted: %s", bad)
		}
	}
	if err := checkAgainstReference(strings.Fields("az aks show -g rg -n c --query id -o tsv")); err != nil {
		t.Errorf("rejected a good line: %v", err)
	}
}

package migrate

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kvenv/kvenv/internal/secretref"
)

// spcManifest is the part of a SecretProviderClass that migrate reads.
type spcManifest struct {
	Spec struct {
		Provider      string            `json:"provider"`
		Parameters    map[string]string `json:"parameters"`
		SecretObjects []struct {
			SecretName string `json:"secretName"`
			Type       string `json:"type"`
			Data       []struct {
				ObjectName string `json:"objectName"`
				Key        string `json:"key"`
			} `json:"data"`
		} `json:"secretObjects"`
	} `json:"spec"`
}

// vaultObject is one entry of the `objects` parameter: what the driver
// writes to a file named fileName.
type vaultObject struct {
	Name           string `json:"objectName"`
	Type           string `json:"objectType"`
	Alias          string `json:"objectAlias"`
	Version        string `json:"objectVersion"`
	Format         string `json:"objectFormat"`
	Encoding       string `json:"objectEncoding"`
	VersionHistory int    `json:"objectVersionHistory"`
}

func (o vaultObject) fileName() string {
	if o.Alias != "" {
		return o.Alias
	}
	return o.Name
}

// reference is the kvenv.io/env.<VAR> value for this object.
func (o vaultObject) reference() string {
	if o.Version == "" {
		return o.Name
	}
	return o.Name + "/" + o.Version
}

// problem says why kvenv cannot hand this object out as a variable, or "".
func (o vaultObject) problem() string {
	switch {
	case !strings.EqualFold(o.Type, "secret"):
		return fmt.Sprintf("object %q has objectType %q: kvenv fetches Key Vault secrets only (keys and certificates stay with the CSI driver)", o.Name, o.Type)
	case !secretref.ValidSecretName(o.Name):
		return fmt.Sprintf("object %q is not a valid Key Vault secret name", o.Name)
	case o.Version != "" && !secretref.ValidVersion(o.Version):
		return fmt.Sprintf("object %q has objectVersion %q: kvenv takes a 32-hex-digit version or none", o.Name, o.Version)
	case o.Encoding != "" && !strings.EqualFold(o.Encoding, "utf-8"):
		return fmt.Sprintf("object %q has objectEncoding %q: the driver decodes it, kvenv hands out the value as stored", o.Name, o.Encoding)
	case o.Format != "":
		return fmt.Sprintf("object %q has objectFormat %q: a certificate format conversion kvenv does not do", o.Name, o.Format)
	case o.VersionHistory > 1:
		return fmt.Sprintf("object %q has objectVersionHistory %d: several versions as files, kvenv hands out one value", o.Name, o.VersionHistory)
	}
	return ""
}

// syncedSecret is one entry of secretObjects: a Kubernetes Secret the driver
// creates from the files of the objects.
type syncedSecret struct {
	name    string
	typ     string
	keys    map[string]string // Secret key → object file name
	problem string
}

// providerClass is a SecretProviderClass as migrate understands it.
type providerClass struct {
	obj       *object
	vault     string // the kvenv.io/vault value
	vaultName string // keyvaultName, for az commands in the report
	identity  identity
	objects   map[string]vaultObject  // by file name
	secrets   map[string]syncedSecret // by Secret name
	// blocker says why no workload that uses this class can be translated.
	blocker string
	// notes are said once per class when a workload using it was migrated.
	notes []string
	// neededBy names the workloads of the output that still use the class.
	neededBy []string
}

// block records the first reason why the class cannot be translated.
func (c *providerClass) block(reason string) {
	if c.blocker == "" {
		c.blocker = reason
	}
}

func (c *providerClass) secretNames() []string {
	names := make([]string, 0, len(c.secrets))
	for n := range c.secrets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// vaultNamePattern is Key Vault's own rule: 3-24 letters, digits and hyphens,
// starting with a letter, ending with a letter or digit.
var vaultNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$`)

// vaultSuffixes are the Key Vault DNS suffixes of the clouds the provider names.
var vaultSuffixes = map[string]string{
	"":                       "",
	"azurepubliccloud":       "",
	"azurechinacloud":        "vault.azure.cn",
	"azureusgovernmentcloud": "vault.usgovcloudapi.net",
}

func parseProviderClass(o *object) (*providerClass, error) {
	var m spcManifest
	if err := decode(o.node, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", o, err)
	}
	c := &providerClass{obj: o, objects: map[string]vaultObject{}, secrets: map[string]syncedSecret{}}
	if m.Spec.Provider != "azure" {
		c.block(fmt.Sprintf("provider %q: kvenv reads Azure Key Vault only", m.Spec.Provider))
		return c, nil
	}
	p := m.Spec.Parameters
	c.identity = identityOf(p)
	c.block(c.identity.blocker)
	c.vault, c.notes = vaultOf(p, c)
	if err := c.readObjects(p["objects"]); err != nil {
		c.block(fmt.Sprintf("the objects parameter is not the provider's `array:` of YAML strings: %v", err))
	}
	for _, so := range m.Spec.SecretObjects {
		s := syncedSecret{name: so.SecretName, typ: so.Type, keys: map[string]string{}}
		if so.Type == "kubernetes.io/tls" {
			s.problem = fmt.Sprintf("Secret %s is synced with type kubernetes.io/tls (a certificate and its key): kvenv hands out variables, not TLS Secrets", so.SecretName)
		}
		for _, d := range so.Data {
			s.keys[d.Key] = d.ObjectName
		}
		c.secrets[so.SecretName] = s
	}
	return c, nil
}

// vaultOf returns the kvenv.io/vault value and its notes, and sets
// c.vaultName.
func vaultOf(p map[string]string, c *providerClass) (string, []string) {
	name := p["keyvaultName"]
	c.vaultName = name
	var notes []string
	if name == "" {
		c.block("no keyvaultName")
		return "", nil
	}
	if !vaultNamePattern.MatchString(name) {
		notes = append(notes, fmt.Sprintf("keyvaultName %q is not a valid vault name: if it is a template placeholder, substitute it before applying, or the webhook denies the pod", name))
	}
	suffix, known := vaultSuffixes[strings.ToLower(p["cloudName"])]
	if !known {
		c.block(fmt.Sprintf("cloudName %q, whose vault DNS suffix migrate does not know: write kvenv.io/vault as https://%s.<suffix> by hand", p["cloudName"], name))
		return "", nil
	}
	if suffix == "" {
		return name, notes
	}
	notes = append(notes, fmt.Sprintf("cloudName %s: kvenv.io/vault is the full URL; run the webhook with --vault-dns-suffix=%s (or allow that host)", p["cloudName"], suffix))
	return "https://" + name + "." + suffix, notes
}

// readObjects parses `objects`: a YAML document holding `array:`, a list of
// YAML documents, one per object.
func (c *providerClass) readObjects(param string) error {
	var list struct {
		Array []string `json:"array"`
	}
	if err := sigsyaml.Unmarshal([]byte(param), &list); err != nil {
		return err
	}
	for _, item := range list.Array {
		var v vaultObject
		if err := sigsyaml.Unmarshal([]byte(item), &v); err != nil {
			return err
		}
		c.objects[v.fileName()] = v
	}
	return nil
}

package webhook

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// namespaceFacts is what Mutate knows about the pod's namespace.
type namespaceFacts struct {
	name        string
	annotations map[string]string
}

// vaultPolicy decides which vault hosts a pod may reference, and holds the
// pod's default vault once resolved.
type vaultPolicy struct {
	suffix       string          // lower-case DNS suffix of Key Vault hosts
	cluster      map[string]bool // nil: any Key Vault host under suffix
	namespace    map[string]bool // nil: the namespace does not narrow
	nsName       string
	defaultURL   string // https://<host> of kvenv.io/vault, "" when absent or invalid
	defaultGiven bool   // kvenv.io/vault is present (valid or not)
}

func newVaultPolicy(cfg Config, ns namespaceFacts, probs *problems) vaultPolicy {
	p := vaultPolicy{suffix: strings.ToLower(cfg.VaultDNSSuffix), nsName: ns.name}
	if len(cfg.AllowedVaults) > 0 {
		p.cluster = map[string]bool{}
		for _, e := range cfg.AllowedVaults {
			if host, ok := vaultEntryHost(e, p.suffix); ok {
				p.cluster[host] = true
			}
		}
	}
	if list, ok := ns.annotations[NamespaceAllowedVaults]; ok {
		p.namespace = map[string]bool{}
		for _, e := range strings.Split(list, ",") {
			if strings.TrimSpace(e) == "" {
				continue
			}
			host, ok := vaultEntryHost(e, p.suffix)
			if !ok {
				probs.addf("namespace %s lists %q in its annotation %s, which is not a vault name or host: ask the namespace admin to fix it.",
					ns.name, strings.TrimSpace(e), NamespaceAllowedVaults)
				continue
			}
			p.namespace[host] = true
		}
	}
	return p
}

// vaultURL resolves the value of a vault annotation to https://<host>, or
// reports why it cannot and returns "".
func (p vaultPolicy) vaultURL(key, v string, probs *problems) string {
	var host string
	switch {
	case strings.Contains(v, "://"):
		u := parseHTTPSURL(key, v, "https://<vault-host>", probs)
		if u == nil {
			return ""
		}
		if u.Path != "" && u.Path != "/" {
			probs.addf("%s has a path: give the vault alone, https://%s.", key, u.Host)
			return ""
		}
		host = strings.ToLower(u.Host)
	case strings.Contains(v, "."):
		probs.addf("%s is a host name without a scheme: write https:// before it, or give the vault name alone.", key)
		return ""
	default:
		if rule := vaultNameRule(v); rule != "" {
			probs.addf("%s is not a valid vault name: a vault name %s.", key, rule)
			return ""
		}
		host = strings.ToLower(v) + "." + p.suffix
	}
	if !p.allow(key, host, probs) {
		return ""
	}
	return "https://" + host
}

// parseHTTPSURL parses an https URL with no user, query or fragment. The
// value is never repeated: user information is a password, and a query may
// be a token (a SAS signature, for one).
func parseHTTPSURL(key, v, want string, probs *problems) *url.URL {
	u, err := url.Parse(v)
	switch {
	case err != nil:
		probs.addf("%s is not a valid URL: want %s.", key, want)
	case u.User != nil:
		probs.addf("%s holds a user name or password in its URL: remove it, kvenv signs in with the pod's Azure identity.", key)
	case u.Scheme != "https":
		probs.addf("%s is not an https:// URL: Key Vault is reached over https only, want %s.", key, want)
	case u.Opaque != "" || u.Host == "":
		probs.addf("%s has no host: want %s.", key, want)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(v, "#"):
		probs.addf("%s has a query or fragment: remove it (kvenv signs in with the pod's Azure identity, never with a token in the URL), want %s.", key, want)
	default:
		return u
	}
	return nil
}

// allow checks a vault host against the Key Vault suffix and both lists.
func (p vaultPolicy) allow(key, host string, probs *problems) bool {
	if !p.cluster[host] {
		if reason := p.keyVaultHostProblem(host); reason != "" {
			probs.addf("%s: %s.", key, reason)
			return false
		}
		if p.cluster != nil {
			probs.addf("%s: vault %s is not among the vaults this cluster allows (%s): use one of them, or ask the cluster admin to allow it.",
				key, host, setList(p.cluster))
			return false
		}
	}
	if p.namespace != nil && !p.namespace[host] {
		probs.addf("%s: vault %s is not among the vaults namespace %s allows in its annotation %s (%s): use one of them, or ask the namespace admin.",
			key, host, p.nsName, NamespaceAllowedVaults, setList(p.namespace))
		return false
	}
	return true
}

func (p vaultPolicy) keyVaultHostProblem(host string) string {
	name, ok := strings.CutSuffix(host, "."+p.suffix)
	if !ok {
		return fmt.Sprintf("%s is not a Key Vault host (*.%s): use a vault under %s, or ask the cluster admin to allow this host", host, p.suffix, p.suffix)
	}
	if rule := vaultNameRule(name); rule != "" {
		return fmt.Sprintf("%q in host %s is not a valid vault name: a vault name %s", name, host, rule)
	}
	return ""
}

// notVaultNameChar is a rune Azure refuses in a vault name. A loop, not a
// regular expression: it runs for every reference of every admission.
func notVaultNameChar(r rune) bool {
	return !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
}

// vaultNameRule returns the first Azure naming rule a vault name breaks, or "".
func vaultNameRule(name string) string {
	switch {
	case len(name) < 3 || len(name) > 24:
		return "has 3 to 24 characters"
	case strings.IndexFunc(name, notVaultNameChar) >= 0:
		return "holds only letters, digits and dashes"
	case !isLetter(name[0]):
		return "starts with a letter"
	case name[len(name)-1] == '-':
		return "ends with a letter or digit"
	case strings.Contains(name, "--"):
		return "has no consecutive dashes"
	}
	return ""
}

func isLetter(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }

// vaultEntryHost normalizes an allowed-vaults entry (a vault name, a host,
// host:port, or an https URL of one) to a lower-case host[:port].
func vaultEntryHost(entry, suffix string) (string, bool) {
	e := strings.ToLower(strings.TrimSpace(entry))
	e = strings.TrimSuffix(strings.TrimPrefix(e, "https://"), "/")
	if e != "" && !strings.ContainsAny(e, ".:[") {
		return e + "." + strings.ToLower(suffix), vaultNameRule(e) == ""
	}
	u, err := url.Parse("https://" + e)
	if err != nil || u.Host != e || u.Hostname() == "" || u.User != nil {
		return "", false
	}
	return e, true
}

func setList(set map[string]bool) string {
	if len(set) == 0 {
		return "none"
	}
	hosts := make([]string, 0, len(set))
	for h := range set {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	return strings.Join(hosts, ", ")
}

package webhook

import (
	"regexp"
	"sort"
	"strings"

	"github.com/kvenv/kvenv/internal/secretref"
)

// request is what a pod's annotations ask of kvenv, validated.
type request struct {
	refs       []secretref.Ref // sorted by variable name, for a deterministic init container
	containers []string        // from kvenv.io/containers; nil means every spec.containers entry
	clientID   string
}

// clientIDPattern is the GUID form of every Microsoft Entra client ID.
var clientIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// skipped reports whether kvenv leaves a pod alone: it opted out, or it
// references no secret. A pod with an unknown kvenv.io/ key is not skipped,
// so that kvenv.io/evn.X is denied with a hint instead of being ignored.
func skipped(annotations map[string]string) bool {
	if annotations[AnnotationInject] == "false" {
		return true
	}
	for k := range annotations {
		if strings.HasPrefix(k, AnnotationEnvPrefix) {
			return false
		}
		if strings.HasPrefix(k, annotationPrefix) && !isKnownKey(k) {
			return false
		}
	}
	return true
}

// parseRequest validates every kvenv.io/ annotation of a pod that is not
// skipped, adding each problem to probs.
func parseRequest(annotations map[string]string, ns namespaceFacts, cfg Config, probs *problems) request {
	keys := sortedKeys(annotations)
	for _, k := range keys {
		if strings.HasPrefix(k, annotationPrefix) && !isKnownKey(k) {
			*probs = append(*probs, unknownKeyProblem(k))
		}
	}
	for _, k := range keys {
		if strings.HasPrefix(k, annotationPrefix) {
			checkValue(k, annotations[k], probs)
		}
	}
	policy := newVaultPolicy(cfg, ns, probs)
	req := request{clientID: annotations[AnnotationClientID]}
	checkSettings(annotations, probs)
	if v, ok := annotations[AnnotationVault]; ok {
		policy.defaultGiven = true
		if isCleanValue(v) {
			policy.defaultURL = policy.vaultURL(AnnotationVault, v, probs)
		}
	}
	req.refs = parseRefs(annotations, keys, policy, probs)
	if n := countPrefixed(keys, AnnotationEnvPrefix); n > cfg.MaxReferences {
		probs.addf("the pod has %d %s* annotations and kvenv accepts at most %d: group values into fewer secrets, or ask the cluster admin to raise the limit.",
			n, AnnotationEnvPrefix, cfg.MaxReferences)
	}
	if v, ok := annotations[AnnotationContainers]; ok && isCleanValue(v) {
		req.containers = splitContainers(v, probs)
	}
	return req
}

// checkSettings validates the single-valued annotations.
func checkSettings(annotations map[string]string, probs *problems) {
	if v, ok := annotations[AnnotationInject]; ok && isCleanValue(v) && v != "true" && v != "false" {
		probs.addf("%s is %q: write \"true\" or \"false\" (\"false\" opts the pod out).", AnnotationInject, v)
	}
	if v, ok := annotations[AnnotationStatus]; ok && isCleanValue(v) && v != StatusInjected {
		probs.addf("%s is %q, but only kvenv writes it (value %q): remove it.", AnnotationStatus, v, StatusInjected)
	}
	if v, ok := annotations[AnnotationClientID]; ok && isCleanValue(v) && !clientIDPattern.MatchString(v) {
		// Not repeated: a client secret pasted in place of the ID is a credential.
		probs.addf("%s is not a client ID: give the managed identity's client ID (never a client secret), a GUID like 00000000-0000-0000-0000-000000000000.",
			AnnotationClientID)
	}
}

// parseRefs reads every kvenv.io/env.<VAR> annotation, in key order.
func parseRefs(annotations map[string]string, keys []string, policy vaultPolicy, probs *problems) []secretref.Ref {
	var refs []secretref.Ref
	folded := map[string]string{}
	for _, k := range keys {
		name, ok := strings.CutPrefix(k, AnnotationEnvPrefix)
		if !ok {
			continue
		}
		if !secretref.ValidEnvName(name) {
			probs.addf("%s: %q is not a valid environment variable name: use letters, digits and underscores, not starting with a digit.", k, name)
			continue
		}
		if other, dup := folded[strings.ToUpper(name)]; dup {
			probs.addf("%s and %s%s name variables that differ only in case, which collide where names are case-insensitive and are almost always a typo: keep one.",
				k, AnnotationEnvPrefix, other)
			continue
		}
		folded[strings.ToUpper(name)] = name
		v := annotations[k]
		if !isCleanValue(v) {
			continue // already reported by checkValue
		}
		if ref, ok := parseReference(k, v, policy, probs); ok {
			ref.Env = name
			refs = append(refs, ref)
		}
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Env < refs[j].Env })
	return refs
}

// splitContainers reads a comma list; blanks between commas are ignored.
func splitContainers(v string, probs *problems) []string {
	var names []string
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		probs.addf("%s names no container: list container names separated by commas, or remove it to inject into every container.", AnnotationContainers)
	}
	return names
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func countPrefixed(keys []string, prefix string) int {
	n := 0
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}

package migrate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/internal/secretref"
)

// candidate is one env entry that kvenv can serve instead of the Secret.
type candidate struct {
	ct        container
	envIndex  int
	variable  string
	reference string // the kvenv.io/env.<VAR> value
	object    string // the Key Vault secret's name
}

func (ct container) key() string { return ct.field + "/" + strconv.Itoa(ct.index) }

// candidates are the env entries of the workload that read a Secret synced
// by class c and that kvenv can serve; the others are reported. considered
// counts every env and envFrom entry that reads such a Secret.
func (r *run) candidates(w *workload, c *providerClass) (out []candidate, considered int) {
	for _, ct := range w.containers() {
		for i, e := range ct.c.Env {
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				continue
			}
			s, ok := c.secrets[e.ValueFrom.SecretKeyRef.Name]
			if !ok {
				continue
			}
			considered++
			obj, problem := c.translate(e, s)
			if problem != "" {
				r.add(LeftAsIs, w.obj, "env %s of container %s: %s", e.Name, ct.c.Name, problem)
				continue
			}
			out = append(out, candidate{ct: ct, envIndex: i, variable: e.Name, reference: obj.reference(), object: obj.Name})
		}
		for _, ef := range ct.c.EnvFrom {
			if ef.SecretRef == nil {
				continue
			}
			if s, ok := c.secrets[ef.SecretRef.Name]; ok {
				considered++
				r.add(LeftAsIs, w.obj, "envFrom of container %s takes the whole Secret %s: kvenv needs one annotation per variable; "+
					"to move it, replace envFrom with %s", ct.c.Name, s.name, c.envFromHint(ef.Prefix, s))
			}
		}
	}
	return out, considered
}

// translate returns the object kvenv fetches for one secretKeyRef entry, or
// why there is none.
func (c *providerClass) translate(e corev1.EnvVar, s syncedSecret) (obj vaultObject, problem string) {
	key := e.ValueFrom.SecretKeyRef.Key
	file, ok := s.keys[key]
	switch {
	case s.problem != "":
		return vaultObject{}, s.problem
	case e.ValueFrom.SecretKeyRef.Optional != nil && *e.ValueFrom.SecretKeyRef.Optional:
		return vaultObject{}, "the secretKeyRef is optional; kvenv fails the pod when a secret is missing rather than leave the variable unset"
	case !ok:
		return vaultObject{}, fmt.Sprintf("key %s of Secret %s is not produced by the secretObjects of SecretProviderClass %s (it syncs %s)",
			key, s.name, c.obj.name, strings.Join(sortedKeys(s.keys), ", "))
	}
	obj, ok = c.objects[file]
	switch {
	case !ok:
		return vaultObject{}, fmt.Sprintf("key %s of Secret %s comes from object %s, which is not among the objects of SecretProviderClass %s", key, s.name, file, c.obj.name)
	case obj.problem() != "":
		return vaultObject{}, obj.problem()
	case !secretref.ValidEnvName(e.Name):
		return vaultObject{}, "not a portable variable name (letters, digits and _, not starting with a digit), which kvenv requires"
	}
	return obj, ""
}

func (c *providerClass) envFromHint(prefix string, s syncedSecret) string {
	var hints []string
	for _, key := range sortedKeys(s.keys) {
		if obj, ok := c.objects[s.keys[key]]; ok && obj.problem() == "" {
			hints = append(hints, fmt.Sprintf("%s%s: %s", annotationEnvPrefix+prefix, key, obj.reference()))
		}
	}
	if len(hints) == 0 {
		return "annotations by hand"
	}
	return strings.Join(hints, ", ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// dropConflicts removes, with a report line, every variable that kvenv would
// serve differently from the Secret: kvenv's variables are pod-wide (every
// target container gets all of them) and appear only when the program starts.
func (r *run) dropConflicts(w *workload, cands []candidate) []candidate {
	reasons := map[string]string{}
	byVar := map[string]candidate{}
	for _, c := range cands {
		if first, ok := byVar[c.variable]; ok && first.reference != c.reference {
			reasons[c.variable] = fmt.Sprintf("takes %s in container %s but %s in container %s, and kvenv's variables are the same for every container",
				first.reference, first.ct.c.Name, c.reference, c.ct.c.Name)
		} else if !ok {
			byVar[c.variable] = c
		}
	}
	for v := range byVar {
		for _, ct := range w.containers() {
			if ct.expands(v) {
				reasons[v] = fmt.Sprintf("container %s expands $(%s) in its command, args or env; Kubernetes expands that before kvenv sets the variable", ct.c.Name, v)
			}
		}
	}
	r.otherDefinitions(w, cands, byVar, reasons)
	var kept []candidate
	for _, c := range cands {
		if reasons[c.variable] == "" {
			kept = append(kept, c)
		}
	}
	for _, v := range sortedKeys(reasons) {
		r.add(LeftAsIs, w.obj, "env %s: %s", v, reasons[v])
	}
	return kept
}

// otherDefinitions: a target container that sets the variable some other
// way would have it overridden by kvenv.
func (r *run) otherDefinitions(w *workload, cands []candidate, byVar map[string]candidate, reasons map[string]string) {
	isCandidate := map[string]bool{}
	targets := map[string]bool{}
	for _, c := range cands {
		isCandidate[c.ct.key()+"/"+strconv.Itoa(c.envIndex)] = true
		targets[c.ct.key()] = true
	}
	for _, ct := range w.containers() {
		if !targets[ct.key()] {
			continue
		}
		for i, e := range ct.c.Env {
			if _, ok := byVar[e.Name]; ok && !isCandidate[ct.key()+"/"+strconv.Itoa(i)] && reasons[e.Name] == "" {
				reasons[e.Name] = fmt.Sprintf("container %s sets it otherwise, and kvenv would override that with the secret", ct.c.Name)
			}
		}
	}
}

// expands reports whether Kubernetes would expand $(v) somewhere in ct.
func (ct container) expands(v string) bool {
	for _, s := range ct.strings() {
		if strings.Contains(s, "$("+v+")") {
			return true
		}
	}
	return false
}

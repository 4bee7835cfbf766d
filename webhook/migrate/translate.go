package migrate

import (
	"fmt"
	"strings"
)

// edits is what migrate does to one workload's pod template.
type edits struct {
	annotations [][2]string      // key, value, in the order written
	env         map[string][]int // container key → env indexes to remove
	mounts      map[string][]int // container key → volumeMount indexes to remove
	volumes     []int
}

// name is a report subject that is not an object of the input.
type name string

func (n name) String() string { return string(n) }

// plan is what migrate will do to a workload that kvenv can serve.
type plan struct {
	class   *providerClass
	cands   []candidate
	targets []container
	edits   edits
}

// planWorkload decides what of one workload to translate, or to leave all
// of it untouched when the result would not mean the same. The CSI volumes
// wait for finishWorkload: whether one may go depends on what the other
// workloads of the input still read. The report lines are held until then,
// so that each workload's lines stay together.
func (r *run) planWorkload(w *workload) {
	outer := r.findings
	r.findings = nil
	defer func() { w.held, r.findings = r.findings, outer }()
	w.plan = r.decide(w)
	if w.plan == nil {
		return
	}
	w.removedEnv = map[string]bool{}
	for _, cand := range w.plan.cands {
		w.removedEnv[envKey(cand.ct, cand.envIndex)] = true
	}
}

// decide returns what to do to w, or nil when it stays as it is (each
// reason reported).
func (r *run) decide(w *workload) *plan {
	classes, resolved := r.classesUsedBy(w)
	switch {
	case !resolved || len(classes) == 0:
		return nil
	case w.aliased:
		r.add(LeftAsIs, w.obj, "the pod template takes part in a YAML alias (&anchor / *alias): an edit would change what the alias stands for elsewhere, "+
			"or leave it naming nothing; write the aliased parts out in full and run migrate again")
		return nil
	case len(classes) > 1:
		r.add(LeftAsIs, w.obj, "uses %d SecretProviderClasses (%s): kvenv signs in with one identity per pod; merge them into one, or move the variables by hand with full https://<vault>/secrets/<name> references",
			len(classes), describeClasses(classes))
		return nil
	}
	c := classes[0]
	if c.blocker != "" {
		r.add(LeftAsIs, w.obj, "SecretProviderClass %s: %s", c.obj.name, c.blocker)
		return nil
	}
	if reason := c.identity.changesFor(w); reason != "" {
		r.add(LeftAsIs, w.obj, "SecretProviderClass %s: %s", c.obj.name, reason)
		return nil
	}
	cands, considered := r.candidates(w, c)
	cands = r.dropConflicts(w, cands)
	if len(cands) == 0 {
		if considered == 0 && r.anyMounts(w, c) {
			r.add(LeftAsIs, w.obj, "mounts the volume of SecretProviderClass %s but takes none of its values through env secretKeyRef; kvenv hands out environment variables only", c.obj.name)
		}
		return nil
	}
	p := &plan{class: c, cands: cands, targets: targetsOf(cands), edits: edits{env: map[string][]int{}, mounts: map[string][]int{}}}
	var conflict string
	if p.edits.annotations, conflict = r.annotations(w, c, cands, p.targets); conflict != "" {
		r.add(LeftAsIs, w.obj, "%s; merge by hand", conflict)
		return nil
	}
	for _, cand := range cands {
		p.edits.env[cand.ct.key()] = append(p.edits.env[cand.ct.key()], cand.envIndex)
	}
	r.reportMoved(w, c, cands)
	return p
}

// finishWorkload says the held report lines, decides the CSI volumes and
// writes the edits.
func (r *run) finishWorkload(w *workload, all []*workload) {
	r.findings = append(r.findings, w.held...)
	p := w.plan
	if p == nil {
		return
	}
	r.planVolumes(w, p, r.readersElsewhere(w, p.class, all))
	r.reportNotes(w, p.class, p.cands, p.targets)
	w.apply(p.edits)
}

// markNeeded: a class stays in the output while a workload of the output
// mounts it or reads a Secret it syncs.
func (r *run) markNeeded(all []*workload) {
	for _, w := range all {
		for _, c := range r.classesStillUsedBy(w) {
			c.neededBy = append(c.neededBy, w.obj.String())
		}
	}
}

func describeClasses(classes []*providerClass) string {
	var parts []string
	for _, c := range classes {
		parts = append(parts, fmt.Sprintf("%s, vault %s", c.obj.name, c.vault))
	}
	return strings.Join(parts, "; ")
}

// targetsOf are the containers that get kvenv's variables, in pod order
// (init containers first), as container keys.
func targetsOf(cands []candidate) []container {
	var out []container
	seen := map[string]bool{}
	for _, c := range cands {
		if !seen[c.ct.key()] {
			seen[c.ct.key()] = true
			out = append(out, c.ct)
		}
	}
	return out
}

// annotations are the kvenv.io annotations to write, or why the workload's
// existing kvenv.io annotations forbid writing them.
func (r *run) annotations(w *workload, c *providerClass, cands []candidate, targets []container) ([][2]string, string) {
	want := [][2]string{{annotationVault, c.vault}}
	if c.identity.clientID != "" {
		want = append(want, [2]string{annotationClientID, c.identity.clientID})
	}
	if names, needed := containersAnnotation(w, targets); needed {
		want = append(want, [2]string{annotationContainers, names})
	}
	written := map[string]bool{}
	for _, cand := range cands {
		k := annotationEnvPrefix + cand.variable
		if !written[k] {
			written[k] = true
			want = append(want, [2]string{k, cand.reference})
		}
	}
	return want, existingConflict(w.template.Annotations, want)
}

// containersAnnotation: kvenv's default targets are all of spec.containers,
// so a narrower set, or any init container, must be named.
func containersAnnotation(w *workload, targets []container) (string, bool) {
	var names []string
	regular := 0
	for _, ct := range targets {
		names = append(names, ct.c.Name)
		if ct.field == "containers" {
			regular++
		}
	}
	return strings.Join(names, ","), regular != len(targets) || regular != len(w.template.Spec.Containers)
}

// existingConflict: kvenv annotations already on the template must agree
// with what migrate writes, or the result would mix two intentions.
func existingConflict(existing map[string]string, want [][2]string) string {
	wanted := map[string]string{}
	for _, kv := range want {
		wanted[kv[0]] = kv[1]
		if v, ok := existing[kv[0]]; ok && v != kv[1] {
			return fmt.Sprintf("the pod template already has %s: %s, where migrate would write %s", kv[0], v, kv[1])
		}
	}
	for k, v := range existing {
		if k == annotationInject && v == "false" {
			return "the pod template opts out of kvenv (kvenv.io/inject: \"false\")"
		}
		if _, ok := wanted[k]; !ok && (strings.HasPrefix(k, annotationEnvPrefix) || k == annotationContainers) {
			return fmt.Sprintf("the pod template already has %s", k)
		}
	}
	return ""
}

// reportMoved says which variables moved.
func (r *run) reportMoved(w *workload, c *providerClass, cands []candidate) {
	var moved []string
	for _, cand := range cands {
		moved = append(moved, cand.variable+"="+cand.reference)
	}
	r.add(Migrated, w.obj, "kvenv.io annotations on the pod template now provide %s (vault %s) instead of Secret %s",
		strings.Join(uniq(moved), ", "), c.vault, strings.Join(secretsOf(cands), ", "))
}

// reportNotes says what else changed for the containers, which identity
// signs in, and what the user must do besides applying the output.
func (r *run) reportNotes(w *workload, c *providerClass, cands []candidate, targets []container) {
	r.reportWidened(w, cands, targets)
	r.reportCertificateCheck(w, c, cands)
	for _, n := range c.identity.notes(w) {
		r.add(Note, w.obj, "%s", n)
	}
	for _, n := range c.notes {
		r.add(Note, w.obj, "%s", n)
	}
	r.noteNamespace(w.obj.namespace)
}

// reportCertificateCheck asks, per moved object, for a check the manifests
// cannot answer: the secret behind a Key Vault certificate holds a PFX
// (content type application/x-pkcs12), which the CSI driver's Azure provider
// converts to PEM unless objectFormat is pfx, whereas kvenv hands out what
// is stored.
func (r *run) reportCertificateCheck(w *workload, c *providerClass, cands []candidate) {
	vars := map[string][]string{}
	var objects []string
	for _, cand := range cands {
		if vars[cand.object] == nil {
			objects = append(objects, cand.object)
		}
		vars[cand.object] = append(vars[cand.object], cand.variable)
	}
	for _, o := range objects {
		r.add(Note, w.obj, "certificate check: %s (%s): if this Key Vault secret backs a certificate stored as PFX "+
			"(az keyvault secret show --vault-name %s --name %s --query contentType prints \"application/x-pkcs12\"), "+
			"the CSI driver gave the variable PEM (private key and certificate chain) and kvenv gives the value as stored, the PFX in base64: "+
			"keep that variable on the CSI driver or make the program read PFX", o, strings.Join(uniq(vars[o]), ", "), c.vaultName, o)
	}
}

// reportWidened: every target container gets every variable.
func (r *run) reportWidened(w *workload, cands []candidate, targets []container) {
	for _, ct := range targets {
		had := map[string]bool{}
		for _, cand := range cands {
			if cand.ct.key() == ct.key() {
				had[cand.variable] = true
			}
		}
		var more []string
		for _, cand := range cands {
			if !had[cand.variable] {
				had[cand.variable] = true
				more = append(more, cand.variable)
			}
		}
		if len(more) > 0 {
			r.add(Note, w.obj, "container %s now also receives %s: kvenv gives every variable to every container it injects",
				ct.c.Name, strings.Join(more, ", "))
		}
	}
}

func secretsOf(cands []candidate) []string {
	var out []string
	for _, cand := range cands {
		out = append(out, cand.ct.c.Env[cand.envIndex].ValueFrom.SecretKeyRef.Name)
	}
	return uniq(out)
}

func uniq[T comparable](in []T) []T {
	seen := map[T]bool{}
	var out []T
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// noteNamespace: the webhook only sees pods of namespaces that opted in.
func (r *run) noteNamespace(ns string) {
	if labels, ok := r.namespaces[ns]; ok && labels[namespaceLabel] == namespaceLabelEnabled {
		return
	}
	if r.noted == nil {
		r.noted = map[string]bool{}
	}
	if r.noted[ns] {
		return
	}
	r.noted[ns] = true
	if ns == "" {
		r.add(Note, name("Namespace (the one you apply to)"), "label it %s=enabled, or the webhook never sees its pods", namespaceLabel)
		return
	}
	r.add(Note, name("Namespace "+ns), "label it %s=enabled (kubectl label namespace %s %s=enabled), or the webhook never sees its pods", namespaceLabel, ns, namespaceLabel)
}

package migrate

// apply writes the planned edits into the workload's node tree; everything
// else in the document stays as it was, comments included.
func (w *workload) apply(e edits) {
	annotations := mapping(mapping(w.node, "metadata", true), "annotations", false)
	for _, kv := range e.annotations {
		setString(annotations, kv[0], kv[1])
	}
	for _, ct := range w.containers() {
		n := w.containerNode(ct)
		if n == nil {
			continue
		}
		removeItems(n, "env", e.env[ct.key()])
		removeItems(n, "volumeMounts", e.mounts[ct.key()])
	}
	removeItems(get(w.node, "spec"), "volumes", e.volumes)
	w.obj.doc.changed = true
}

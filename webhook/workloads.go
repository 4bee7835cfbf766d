package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// podTemplatePaths says where each kind keeps the pod it creates; an empty
// path is the object itself (a Pod).
var podTemplatePaths = map[string][]string{
	"v1/Pod":              {},
	"apps/v1/Deployment":  {"spec", "template"},
	"apps/v1/StatefulSet": {"spec", "template"},
	"apps/v1/DaemonSet":   {"spec", "template"},
	"apps/v1/ReplicaSet":  {"spec", "template"},
	"batch/v1/Job":        {"spec", "template"},
	"batch/v1/CronJob":    {"spec", "jobTemplate", "spec", "template"},
}

// podTemplate is a pod, or a workload's pod template, inside a decoded
// object: the map that holds its metadata and spec.
type podTemplate struct {
	object    string // Kind/name, for messages
	namespace string // the object's metadata.namespace, "" if unset
	fields    map[string]any
}

// podTemplates finds every pod template of an object, the items of a List
// included. Kinds without one yield nothing.
func podTemplates(obj map[string]any) []podTemplate {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	if apiVersion == "v1" && kind == "List" {
		items, _ := obj["items"].([]any)
		var all []podTemplate
		for _, item := range items {
			if m, ok := item.(map[string]any); ok {
				all = append(all, podTemplates(m)...)
			}
		}
		return all
	}
	path, ok := podTemplatePaths[apiVersion+"/"+kind]
	if !ok {
		return nil
	}
	fields := obj
	for _, step := range path {
		if fields, ok = fields[step].(map[string]any); !ok {
			return nil
		}
	}
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if name == "" {
		name, _ = meta["generateName"].(string)
	}
	namespace, _ := meta["namespace"].(string)
	return []podTemplate{{object: kind + "/" + name, namespace: namespace, fields: fields}}
}

// pod decodes the template's metadata and spec into a Pod.
func (t podTemplate) pod() (*corev1.Pod, error) {
	raw, err := json.Marshal(map[string]any{"metadata": t.fields["metadata"], "spec": t.fields["spec"]})
	if err != nil {
		return nil, err
	}
	pod := &corev1.Pod{}
	if err := json.Unmarshal(raw, pod); err != nil {
		return nil, fmt.Errorf("%s: the pod template is not a valid pod: %w", t.object, err)
	}
	return pod, nil
}

// set writes a pod's metadata and spec back into the template.
func (t podTemplate) set(pod *corev1.Pod) error {
	raw, err := json.Marshal(pod)
	if err != nil {
		return err
	}
	m, err := decodeJSONObject(raw)
	if err != nil {
		return err
	}
	meta, _ := m["metadata"].(map[string]any)
	if ts, present := meta["creationTimestamp"]; present && ts == nil {
		delete(meta, "creationTimestamp") // a zero time the input did not have
	}
	t.fields["metadata"] = meta
	t.fields["spec"] = m["spec"]
	return nil
}

// decodeJSONObject decodes a JSON object keeping numbers as written, so
// that large integers survive the round trip; nil if raw is not an object.
func decodeJSONObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	return m, nil
}

package webhook

import (
	"encoding/json"
	"errors"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/internal/layout"
)

// sentContainers is a pod's init containers as the API server sent them,
// by name (unique in a pod), fields this build of kvenv does not know
// included.
//
// Why they are needed: kvenv's init container goes first, so every other
// init container moves one place down, and the patch, which compares lists
// place by place, rewrites each place into its new content. Marshaled from
// the typed pod, both documents would lack a newer API server's fields: the
// container that used to be at a place would leave them behind for the
// one moving in (kvenv-init included) and arrive without them at its new
// place. Taken from what was sent, they move with their container.
type sentContainers map[string]json.RawMessage

// sentInitContainersReview is the part of an AdmissionReview that holds
// the init containers.
type sentInitContainersReview struct {
	Request struct {
		Object struct {
			Spec struct {
				InitContainers []jsontext.Value `json:"initContainers"`
			} `json:"spec"`
		} `json:"object"`
	} `json:"request"`
}

// decodeSentInitContainers reads the init containers out of a review body
// that decoded already; only pods with init containers pay for it. Unlike
// reviewDecoding, it refuses a repeated name anywhere in the body
// (jsontext.ErrDuplicateName): decodePodReview then keeps the typed ones.
func decodeSentInitContainers(body []byte) (sentContainers, error) {
	var review sentInitContainersReview
	if err := jsonv2.Unmarshal(body, &review); err != nil {
		return nil, err
	}
	sent := make(sentContainers, len(review.Request.Object.Spec.InitContainers))
	for _, raw := range review.Request.Object.Spec.InitContainers {
		if raw.Kind() != '{' {
			continue // null: the typed container is all there is
		}
		sent[nameOf(json.RawMessage(raw))] = json.RawMessage(raw)
	}
	return sent, nil
}

// initContainerDocs is the init container list of a diffed document: kvenv's
// own as built, every other one as sent with what Mutate may have changed
// in it (a named target's argv and mounts) set from the typed pod.
func initContainerDocs(cs []corev1.Container, sent sentContainers) ([]any, error) {
	out := make([]any, len(cs))
	for i := range cs {
		raw, ok := sent[cs[i].Name]
		if cs[i].Name == layout.InitContainerName || !ok {
			out[i] = &cs[i]
			continue
		}
		doc, err := withWrappedFields(raw, &cs[i])
		if err != nil {
			return nil, err
		}
		out[i] = doc
	}
	return out, nil
}

// withWrappedFields is the sent container with command, args and mounts as
// c has them. Mounts keep their sent form where c has the same mount at the
// same place: Mutate only replaces or appends kvenv's.
func withWrappedFields(raw json.RawMessage, c *corev1.Container) (map[string]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	var sentMounts []json.RawMessage
	if m, ok := fields["volumeMounts"]; ok {
		if err := json.Unmarshal(m, &sentMounts); err != nil {
			return nil, err
		}
	}
	mounts := make([]any, len(c.VolumeMounts))
	for i := range c.VolumeMounts {
		mounts[i] = &c.VolumeMounts[i]
		if i < len(sentMounts) && c.VolumeMounts[i].Name != layout.VolumeName && nameOf(sentMounts[i]) == c.VolumeMounts[i].Name {
			mounts[i] = sentMounts[i]
		}
	}
	err := errors.Join(
		setOrDelete(fields, "command", c.Command, len(c.Command) == 0),
		setOrDelete(fields, "args", c.Args, len(c.Args) == 0),
		setOrDelete(fields, "volumeMounts", mounts, len(mounts) == 0))
	return fields, err
}

// setOrDelete sets key to value, or removes it when value is empty, as
// omitempty does for the typed fields.
func setOrDelete(fields map[string]json.RawMessage, key string, value any, empty bool) error {
	if empty {
		delete(fields, key)
		return nil
	}
	b, err := json.Marshal(value)
	fields[key] = b
	return err
}

// nameOf is the "name" of a container or mount as sent, read as the review
// was (case-sensitively); "" if it has none.
func nameOf(raw json.RawMessage) string {
	var named struct {
		Name string `json:"name"`
	}
	if jsonv2.Unmarshal(raw, &named, reviewDecoding) != nil {
		return ""
	}
	return named.Name
}

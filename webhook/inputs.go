package webhook

import (
	"context"

	corev1 "k8s.io/api/core/v1"
)

// ImageCommand is what an image runs when the pod does not say: the
// ENTRYPOINT and CMD of its config, for the pod's platform.
type ImageCommand struct {
	Entrypoint []string
	Cmd        []string
}

// Inputs are the facts about a pod that the mutation needs but cannot read
// from the pod itself. The admission handler gathers them (API look-ups,
// registry look-ups); render takes them from flags. Mutate never fetches.
type Inputs struct {
	// Namespace is the pod's namespace (pods created by controllers arrive
	// without metadata.namespace set).
	Namespace string
	// NamespaceAnnotations are the annotations of that namespace; a namespace
	// may narrow the vaults its pods may use.
	NamespaceAnnotations map[string]string
	// Images holds, by container name, the resolved ENTRYPOINT/CMD of each
	// target container that sets no `command`. A missing entry means the
	// entrypoint is unknown, and such a container is denied with advice to
	// set `command`.
	Images map[string]ImageCommand
}

// ImageRequest asks for the ENTRYPOINT/CMD of one container's image.
type ImageRequest struct {
	Container      string // container name, for error messages
	Image          string // as written in the pod
	PullPolicy     corev1.PullPolicy
	OS, Arch       string // platform the pod will run on
	Namespace      string // where the pull secrets live
	ServiceAccount string
	PullSecrets    []string // the pod's imagePullSecrets, in order
}

// ImageResolver reads image configs from registries. The admission handler
// calls it for the containers that ImageRequests returns; the core webhook
// works without one (every such container is then denied with advice).
type ImageResolver interface {
	Resolve(ctx context.Context, req ImageRequest) (ImageCommand, error)
}

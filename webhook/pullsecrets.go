package webhook

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// PullSecretReader reads the pull secrets the kubelet would use, for registry
// look-ups of private images. It reads live, never through an informer: a
// cluster-wide Secret cache would hold every Secret of the cluster in the
// webhook's memory and need list/watch on all of them.
type PullSecretReader struct {
	Client client.Reader
}

// Secret returns namespace/name.
func (p PullSecretReader) Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	if err := p.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, s); err != nil {
		return nil, err
	}
	return s, nil
}

// ServiceAccountPullSecrets returns the imagePullSecrets of a service account, in order.
func (p PullSecretReader) ServiceAccountPullSecrets(ctx context.Context, namespace, serviceAccount string) ([]string, error) {
	sa := &corev1.ServiceAccount{}
	if err := p.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: serviceAccount}, sa); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(sa.ImagePullSecrets))
	for _, ref := range sa.ImagePullSecrets {
		names = append(names, ref.Name)
	}
	return names, nil
}

package scenario

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// kvenvReadyTimeout covers pulling the image, the webhook making its
// certificate and the API server taking the new caBundle.
const kvenvReadyTimeout = 3 * time.Minute

// waitKvenvReady waits until the webhook's Deployment is available and the
// API server really sends pods through it: a dry-run pod in the app
// namespace must come back injected.
func (s *Scenario) waitKvenvReady(probe *corev1.Pod) error {
	client := s.Cluster.Client
	err := Poll("kvenv webhook Deployment available", kvenvReadyTimeout, func(ctx context.Context) error {
		list, err := client.AppsV1().Deployments(KvenvNamespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		if len(list.Items) != 1 {
			return fmt.Errorf("%d Deployments in %s, want kvenv's one", len(list.Items), KvenvNamespace)
		}
		return deploymentAvailable(&list.Items[0])
	})
	if err != nil {
		return fmt.Errorf("%w%s", err, s.DescribePods(KvenvNamespace))
	}
	return Poll("a dry-run pod injected by kvenv", kvenvReadyTimeout, func(ctx context.Context) error {
		got, err := client.CoreV1().Pods(probe.Namespace).Create(ctx, probe.DeepCopy(), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			return err
		}
		if got.Annotations["kvenv.io/status"] != "injected" {
			return fmt.Errorf("pod not injected yet (annotations %v)", got.Annotations)
		}
		return nil
	})
}

func deploymentAvailable(d *appsv1.Deployment) error {
	s := d.Status
	if s.ObservedGeneration < d.Generation || s.UpdatedReplicas < *d.Spec.Replicas || s.AvailableReplicas < *d.Spec.Replicas {
		return fmt.Errorf("deployment %s/%s: %d of %d replicas updated, %d available", d.Namespace, d.Name,
			s.UpdatedReplicas, *d.Spec.Replicas, s.AvailableReplicas)
	}
	return nil
}

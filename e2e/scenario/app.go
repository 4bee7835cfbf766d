package scenario

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// appReadyTimeout covers the image pull, kvenv-init's fetch and the app
// connecting to the database.
const appReadyTimeout = 3 * time.Minute

// createNamespaces makes the app namespace, opted in to kvenv, with the
// app's and the intruder's service accounts.
func (s *Scenario) createNamespaces(ctx context.Context) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: AppNamespace, Labels: map[string]string{"kvenv.io/injection": "enabled"}}}
	if _, err := s.Cluster.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return err
	}
	for _, sa := range []string{AppName, IntruderServiceAccount} {
		obj := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: AppNamespace}}
		if _, err := s.Cluster.Client.CoreV1().ServiceAccounts(AppNamespace).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// AppDeployment is the tutorial's sampleapp.yaml with kvenv's annotations
// instead of a SecretProviderClass.
func (s *Scenario) AppDeployment() *appsv1.Deployment {
	tmpl := s.PodTemplate(AppName, AppName, s.AppClientID, s.appContainer())
	tmpl.Name, tmpl.Namespace = "", ""
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: AppName, Namespace: AppNamespace},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": AppName}},
			Template: tmpl,
		},
	}
}

// deployApp creates the Deployment and waits for its pod to be ready.
func (s *Scenario) deployApp(ctx context.Context) error {
	if _, err := s.Cluster.Client.AppsV1().Deployments(AppNamespace).Create(ctx, s.AppDeployment(), metav1.CreateOptions{}); err != nil {
		return err
	}
	_, err := s.WaitAppPod()
	return err
}

// WaitAppPod waits until the app Deployment has exactly one pod, Ready, and
// returns it.
func (s *Scenario) WaitAppPod() (*corev1.Pod, error) {
	var ready *corev1.Pod
	err := Poll("the sample app's pod Ready", appReadyTimeout, func(ctx context.Context) error {
		pods, err := s.Cluster.Client.CoreV1().Pods(AppNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app=" + AppName})
		if err != nil {
			return err
		}
		var live []corev1.Pod
		for _, p := range pods.Items {
			if p.DeletionTimestamp == nil {
				live = append(live, p)
			}
		}
		if len(live) != 1 || !podReady(&live[0]) {
			return fmt.Errorf("%d live app pods, none Ready yet", len(live))
		}
		ready = &live[0]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w%s", err, s.DescribePods(AppNamespace))
	}
	return ready, nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

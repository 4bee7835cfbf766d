package scenario

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// apiObjects renders every object of every listable resource type as
// `kubectl get -o yaml` would, one text per resource type.
func (s *Scenario) apiObjects(ctx context.Context) (map[string]string, error) {
	// Deprecated types (Endpoints, ComponentStatus) are read on purpose.
	cfg := rest.CopyConfig(s.Cluster.Config)
	cfg.WarningHandler = rest.NoWarnings{}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	lists, err := disc.ServerPreferredResources()
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	out := map[string]string{}
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			return nil, err
		}
		for _, r := range list.APIResources {
			if strings.Contains(r.Name, "/") || !hasVerb(r.Verbs, "list") {
				continue // subresources; review-style APIs that cannot be listed
			}
			objs, err := dyn.Resource(gv.WithResource(r.Name)).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, fmt.Errorf("listing %s: %w", gv.WithResource(r.Name), err)
			}
			text, err := yaml.Marshal(objs.Object)
			if err == nil {
				var items []byte
				items, err = yaml.Marshal(objs.Items)
				text = append(text, items...)
			}
			if err != nil {
				return nil, err
			}
			out[gv.WithResource(r.Name).String()] = string(text)
		}
	}
	return out, nil
}

func hasVerb(verbs []string, v string) bool {
	for _, x := range verbs {
		if x == v {
			return true
		}
	}
	return false
}

// containerLogs reads the log of every container of every pod in every
// namespace, and the previous log of every restarted one.
func (s *Scenario) containerLogs(ctx context.Context) (map[string]string, error) {
	pods, err := s.Cluster.Client.CoreV1().Pods(corev1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	logs := map[string]string{}
	for _, p := range pods.Items {
		for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
			if cs.ContainerID == "" {
				continue // never started: no log
			}
			for _, previous := range []bool{false, true} {
				if previous && cs.RestartCount == 0 {
					continue
				}
				data, err := s.Cluster.Client.CoreV1().Pods(p.Namespace).GetLogs(p.Name,
					&corev1.PodLogOptions{Container: cs.Name, Previous: previous}).DoRaw(ctx)
				if err != nil {
					return nil, fmt.Errorf("log of %s/%s %s (previous %v): %w", p.Namespace, p.Name, cs.Name, previous, err)
				}
				logs[fmt.Sprintf("%s/%s %s previous=%v", p.Namespace, p.Name, cs.Name, previous)] = string(data)
			}
		}
	}
	return logs, nil
}

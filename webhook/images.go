package webhook

import (
	corev1 "k8s.io/api/core/v1"
)

const (
	labelOS   = "kubernetes.io/os"
	labelArch = "kubernetes.io/arch"
)

// ImageRequests lists the target containers that set no `command`, whose
// image ENTRYPOINT/CMD must be looked up before Mutate can wrap them. It is
// pure, like Mutate; nil for a pod Mutate would skip.
//
// A pod with a problem found without the images is a *Denial here, with no
// look-up: the same denial Mutate gives without the images, every problem
// named, the containers without `command` among them. Looking up the images
// of a pod denied anyway would only add registry errors (a Windows image,
// say) in place of the problems that matter.
func ImageRequests(pod *corev1.Pod, in Inputs, cfg Config) ([]ImageRequest, error) {
	if skipped(pod.Annotations) || !anyWithoutCommand(pod) {
		return nil, nil // a bad pod is Mutate's to deny
	}
	var probs problems
	_, targets := checkWithoutImages(pod, in, cfg, &probs)
	if len(probs) > 0 {
		// Without a look-up the ENTRYPOINTs stay unknown: named as Mutate names them.
		wrappedCommands(targets, nil, &probs)
		return nil, probs.err()
	}
	ns := namespaceOf(pod, in)
	platform := podPlatform(pod, cfg)
	serviceAccount := pod.Spec.ServiceAccountName
	if serviceAccount == "" {
		serviceAccount = "default"
	}
	var pullSecrets []string
	for _, s := range pod.Spec.ImagePullSecrets {
		pullSecrets = append(pullSecrets, s.Name)
	}
	var requests []ImageRequest
	for _, c := range targets {
		if len(c.Command) > 0 {
			continue
		}
		requests = append(requests, ImageRequest{
			Container: c.Name, Image: c.Image, PullPolicy: c.ImagePullPolicy,
			OS: platform.OS, Arch: platform.Arch,
			Namespace: ns.name, ServiceAccount: serviceAccount, PullSecrets: pullSecrets,
		})
	}
	return requests, nil
}

// podPlatform is where the pod will run, as far as its spec says: spec.os,
// the node selector, or a required node affinity every term of which pins
// the label to one value; else the configured default.
func podPlatform(pod *corev1.Pod, cfg Config) Platform {
	p := cfg.DefaultPlatform
	if v := selectedValue(pod, labelOS); v != "" {
		p.OS = v
	} else if pod.Spec.OS != nil && pod.Spec.OS.Name != "" {
		p.OS = string(pod.Spec.OS.Name)
	}
	if v := selectedValue(pod, labelArch); v != "" {
		p.Arch = v
	}
	return p
}

// selectedValue is the single value the pod requires for a node label.
func selectedValue(pod *corev1.Pod, label string) string {
	if v := pod.Spec.NodeSelector[label]; v != "" {
		return v
	}
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	// Terms are ORed: the label is pinned only if every term pins it alike.
	value := ""
	for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		v := termValue(term, label)
		if v == "" || (value != "" && v != value) {
			return ""
		}
		value = v
	}
	return value
}

func termValue(term corev1.NodeSelectorTerm, label string) string {
	for _, e := range term.MatchExpressions {
		if e.Key == label && e.Operator == corev1.NodeSelectorOpIn && len(e.Values) == 1 {
			return e.Values[0]
		}
	}
	return ""
}

// anyWithoutCommand reports whether a container might need its image's
// entrypoint: when none does, as in most pods, the annotations need not be
// parsed twice per admission.
func anyWithoutCommand(pod *corev1.Pod) bool {
	for _, list := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range list {
			if len(list[i].Command) == 0 {
				return true
			}
		}
	}
	return false
}

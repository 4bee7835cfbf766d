//go:build tools

// Package kube pins the Kubernetes components that kvenv's tests run for real.
// k8s.io/kubernetes cannot be `go install`ed (its go.mod replaces every staging
// module with a local path), so this separate module requires it and maps each
// staging module to its published version.
package kube

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)

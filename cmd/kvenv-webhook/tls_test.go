package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// plainManifest is the chart rendered with default values; the manifests
// package's TestPlainManifestIsCurrent keeps it equal to the chart's output,
// and the probes do not depend on any value.
const plainManifest = "../../manifests/kvenv.yaml"

// startupBeforeBootstrap is what the process may spend before the bootstrap
// starts (client configuration, the manager) and after it ends until
// /healthz answers.
const startupBeforeBootstrap = 15 * time.Second

// TestStartupProbeOutlastsTheTLSBootstrap: /healthz is served only once the
// first certificate is there, so the kubelet must keep probing for longer
// than bootstrapTimeout. Otherwise a slow bootstrap is a liveness kill
// instead of the process's own message naming what failed.
func TestStartupProbeOutlastsTheTLSBootstrap(t *testing.T) {
	c := webhookContainer(t, chartDeployment(t))
	p := c.StartupProbe
	if p == nil {
		t.Fatalf("container %s has no startupProbe: its livenessProbe kills a bootstrap slower than the probe's few failures allow", c.Name)
	}
	if p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port != c.LivenessProbe.HTTPGet.Port {
		t.Fatalf("startupProbe %+v must probe the livenessProbe's /healthz, which answers once the bootstrap is done", p.ProbeHandler)
	}
	window := time.Duration(p.InitialDelaySeconds+p.PeriodSeconds*p.FailureThreshold) * time.Second
	if need := bootstrapTimeout + startupBeforeBootstrap; window < need {
		t.Fatalf("startupProbe gives up after %s; the bootstrap may take %s and the rest of the start %s: raise its failureThreshold to cover %s",
			window, bootstrapTimeout, startupBeforeBootstrap, need)
	}
}

func chartDeployment(t *testing.T) *appsv1.Deployment {
	t.Helper()
	raw, err := os.ReadFile(plainManifest)
	if err != nil {
		t.Fatal(err)
	}
	docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	for {
		doc, err := docs.Read()
		if err == io.EOF {
			t.Fatalf("no Deployment in %s", plainManifest)
		}
		if err != nil {
			t.Fatal(err)
		}
		d := &appsv1.Deployment{}
		if err := yaml.Unmarshal(doc, d); err != nil {
			t.Fatalf("%s: %v", plainManifest, err)
		}
		if d.Kind == "Deployment" {
			return d
		}
	}
}

func webhookContainer(t *testing.T, d *appsv1.Deployment) *corev1.Container {
	t.Helper()
	for i, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "webhook" {
			return &d.Spec.Template.Spec.Containers[i]
		}
	}
	t.Fatalf("Deployment %s has no container named webhook", d.Name)
	return nil
}

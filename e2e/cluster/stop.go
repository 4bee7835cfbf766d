package cluster

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podDrainTimeout bounds how long Stop lets the kubelet stop pods the
// orderly way before it kills what is left.
const podDrainTimeout = 30 * time.Second

// Stop tears the cluster down, also a half-started one, and is safe to call
// twice. Pods are deleted first so that the kubelet stops their sandboxes
// and containerd's shims exit; then components stop in reverse order; then
// whatever is left of the pods is killed through their cgroup, everything
// mounted below Dir is unmounted, what the cluster left in the shared host
// directories is removed, and Dir too (unless KeepDir).
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		begin := time.Now()
		p := &c.procs
		p.controllerManager.stop() // nothing may recreate the pods now
		p.scheduler.stop()
		if err := c.drainPods(); err != nil {
			c.opts.Logf("kvenv e2e: deleting pods before stopping: %v (killing them instead)", err)
		}
		p.kubelet.stop()
		// Kill what is left of the pods while containerd runs: it then
		// deletes their tasks and the shims exit on their own.
		if n := killAll(func() []int { return cgroupPIDs(c.cgroup) }); n > 0 {
			c.opts.Logf("kvenv e2e: killed %d pod processes the kubelet left", n)
			time.Sleep(time.Second)
		}
		p.containerd.stop()
		p.apiserver.stop()
		p.etcd.stop()
		c.reg.stop()
		c.saveLogs()
		reapClusterDir(c.Dir, c.opts.KeepDir, func(f string, a ...any) { c.opts.Logf("kvenv e2e: "+f, a...) })
		c.opts.Logf("kvenv e2e: cluster stopped in %s", time.Since(begin).Round(time.Millisecond))
	})
}

// drainPods deletes every pod and waits until the kubelet has stopped them.
func (c *Cluster) drainPods() error {
	if c.Client == nil || c.procs.apiserver == nil || c.procs.kubelet == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), podDrainTimeout)
	defer cancel()
	namespaces, err := c.Client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	grace := int64(1)
	for _, ns := range namespaces.Items {
		err := c.Client.CoreV1().Pods(ns.Name).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &grace}, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("deleting the pods of namespace %s: %w", ns.Name, err)
		}
	}
	return waitFor("pods to be gone", podDrainTimeout, []*process{c.procs.kubelet}, func(ctx context.Context) error {
		pods, err := c.Client.CoreV1().Pods(corev1.NamespaceAll).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		if n := len(pods.Items); n > 0 {
			return fmt.Errorf("%d pods left, e.g. %s/%s", n, pods.Items[0].Namespace, pods.Items[0].Name)
		}
		return nil
	})
}

func (c *Cluster) saveLogs() {
	if c.opts.BeforeRemove != nil {
		c.opts.BeforeRemove(c)
	}
	if c.opts.ArtifactsDir == "" {
		return
	}
	if err := c.CopyLogs(c.opts.ArtifactsDir); err != nil {
		c.opts.Logf("kvenv e2e: copying the logs to %s: %v", c.opts.ArtifactsDir, err)
	}
}

package cluster

import (
	"context"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// kubeletConfig is the KubeletConfiguration. The host is cgroup v1 and no
// systemd manages the kubelet, hence failCgroupV1 false and the cgroupfs
// driver; pods go below the cluster's own cgroup so that Stop can find and
// kill every one of them.
func (c *Cluster) kubeletConfig() map[string]any {
	pki := c.pki.path
	return map[string]any{
		"apiVersion":               "kubelet.config.k8s.io/v1beta1",
		"kind":                     "KubeletConfiguration",
		"failCgroupV1":             false,
		"cgroupDriver":             "cgroupfs",
		"cgroupRoot":               c.cgroup,
		"address":                  c.NodeIP, // the API server reaches it here for logs and exec
		"port":                     10250,
		"readOnlyPort":             0,
		"healthzBindAddress":       "127.0.0.1",
		"tlsCertFile":              pki("kubelet-serving.crt"),
		"tlsPrivateKeyFile":        pki("kubelet-serving.key"),
		"authentication":           map[string]any{"anonymous": map[string]any{"enabled": false}, "webhook": map[string]any{"enabled": false}, "x509": map[string]any{"clientCAFile": pki("ca.crt")}},
		"authorization":            map[string]any{"mode": "AlwaysAllow"}, // only the API server holds a client certificate
		"containerRuntimeEndpoint": "unix://" + c.containerdSocket(),
		"podLogsDir":               c.path("pod-logs"),
		"failSwapOn":               false,
		"makeIPTablesUtilChains":   false,
		"serializeImagePulls":      false,
		// A busy build machine must not make the kubelet evict test pods.
		"evictionHard":                map[string]string{"memory.available": "1Mi", "nodefs.available": "1%", "imagefs.available": "1%", "nodefs.inodesFree": "1%"},
		"imageGCHighThresholdPercent": 100,
		"imageGCLowThresholdPercent":  99,
	}
}

func (c *Cluster) startKubelet() (err error) {
	data, err := yaml.Marshal(c.kubeletConfig())
	if err != nil {
		return err
	}
	config := c.path("kubelet-config.yaml")
	if err := os.WriteFile(config, data, 0o644); err != nil {
		return err
	}
	c.procs.kubelet, err = c.run("kubelet", nil, c.tool("kubelet"),
		"--config="+config,
		"--kubeconfig="+c.path("kubelet.kubeconfig"),
		"--root-dir="+c.path("kubelet"),
		"--cert-dir="+c.path("kubelet", "pki"),
		"--hostname-override="+NodeName,
		"--node-ip="+c.NodeIP,
		"--v=1",
	)
	return err
}

// waitNodeReady waits for the node to be Ready and free of taints, so that
// the scheduler places pods on it.
func (c *Cluster) waitNodeReady() error {
	deps := []*process{c.procs.kubelet, c.procs.containerd, c.procs.apiserver}
	return waitFor("node "+NodeName, c.opts.StartTimeout, deps, func(ctx context.Context) error {
		node, err := c.Client.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		return nodeSchedulable(node)
	})
}

func nodeSchedulable(node *corev1.Node) error {
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady && cond.Status != corev1.ConditionTrue {
			return fmt.Errorf("node %s is not Ready: %s", node.Name, cond.Message)
		}
	}
	if len(node.Spec.Taints) > 0 {
		return fmt.Errorf("node %s still has taints %v", node.Name, node.Spec.Taints)
	}
	return nil
}

// InClusterEnv points in-cluster clients (client-go's rest.InClusterConfig)
// at the API server's node address: no kube-proxy routes the kubernetes
// Service's ClusterIP. The serving certificate holds the node IP, and the
// CA is the one every namespace's kube-root-ca.crt holds. Container env
// overrides the service env the kubelet injects.
func (c *Cluster) InClusterEnv() []corev1.EnvVar {
	return []corev1.EnvVar{
		{Name: "KUBERNETES_SERVICE_HOST", Value: c.NodeIP},
		{Name: "KUBERNETES_SERVICE_PORT", Value: "6443"},
	}
}

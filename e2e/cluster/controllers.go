package cluster

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// startNodeAndControllers starts the kubelet (once containerd listens), the
// scheduler and the controller-manager, which need only the API server.
func (c *Cluster) startNodeAndControllers() error {
	if err := c.waitContainerd(); err != nil {
		return err
	}
	if err := c.startKubelet(); err != nil {
		return err
	}
	if err := c.startScheduler(); err != nil {
		return err
	}
	return c.startControllerManager()
}

// delegatedAuth makes a component check its callers with the API server
// (it would otherwise look for an in-cluster config and warn).
func (c *Cluster) delegatedAuth() []string {
	return []string{
		"--kubeconfig=" + c.Kubeconfig,
		"--authentication-kubeconfig=" + c.Kubeconfig,
		"--authorization-kubeconfig=" + c.Kubeconfig,
		"--bind-address=127.0.0.1",
		"--leader-elect=false",
	}
}

func (c *Cluster) startScheduler() (err error) {
	c.procs.scheduler, err = c.run("kube-scheduler", nil, c.tool("kube-scheduler"), c.delegatedAuth()...)
	return err
}

// startControllerManager runs every controller; it signs service-account
// tokens for the default service accounts and publishes the root CA.
func (c *Cluster) startControllerManager() (err error) {
	args := append(c.delegatedAuth(),
		"--controllers=*",
		"--service-account-private-key-file="+c.pki.path("sa.key"),
		"--root-ca-file="+c.pki.path("ca.crt"),
		"--cluster-signing-cert-file="+c.pki.path("ca.crt"),
		"--cluster-signing-key-file="+c.pki.path("ca.key"),
		"--service-cluster-ip-range="+c.opts.ServiceCIDR,
	)
	c.procs.controllerManager, err = c.run("kube-controller-manager", nil, c.tool("kube-controller-manager"), args...)
	return err
}

// waitDefaultServiceAccount waits until the controller-manager made the
// default service account: pods cannot be created before.
func (c *Cluster) waitDefaultServiceAccount() error {
	deps := []*process{c.procs.controllerManager, c.procs.scheduler, c.procs.apiserver}
	return waitFor("default service account", c.opts.StartTimeout, deps, func(ctx context.Context) error {
		_, err := c.Client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err
	})
}

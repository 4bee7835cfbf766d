package cluster

import (
	"context"
	"fmt"
)

// startAPIServer starts kube-apiserver on the node IP and waits for /readyz.
func (c *Cluster) startAPIServer() (err error) {
	pki := c.pki.path
	c.procs.apiserver, err = c.run("kube-apiserver", nil, c.tool("kube-apiserver"),
		"--etcd-servers="+etcdURL,
		"--bind-address=0.0.0.0", // only this namespace's addresses exist
		"--secure-port=6443",
		"--advertise-address="+c.NodeIP,
		"--cert-dir="+c.path("apiserver"),
		"--tls-cert-file="+pki("apiserver.crt"),
		"--tls-private-key-file="+pki("apiserver.key"),
		"--client-ca-file="+pki("ca.crt"),
		"--service-account-issuer="+c.Issuer,
		"--service-account-key-file="+pki("sa.pub"),
		"--service-account-signing-key-file="+pki("sa.key"),
		"--service-cluster-ip-range="+c.opts.ServiceCIDR,
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		// kubectl logs/exec: reach the kubelet by its node IP, with a
		// client certificate, and check the kubelet's serving certificate.
		"--kubelet-preferred-address-types=InternalIP",
		"--kubelet-client-certificate="+pki("apiserver-kubelet.crt"),
		"--kubelet-client-key="+pki("apiserver-kubelet.key"),
		"--kubelet-certificate-authority="+pki("ca.crt"),
		// Call webhook Services at their endpoint IPs: no kube-proxy runs.
		"--enable-aggregator-routing=true",
		"--requestheader-client-ca-file="+pki("ca.crt"),
		"--requestheader-allowed-names="+frontProxyClient,
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file="+pki("front-proxy-client.crt"),
		"--proxy-client-key-file="+pki("front-proxy-client.key"),
		"--profiling=false",
	)
	if err != nil {
		return err
	}
	return waitFor("kube-apiserver /readyz", c.opts.StartTimeout, []*process{c.procs.apiserver, c.procs.etcd}, c.apiServerReady)
}

func (c *Cluster) apiServerReady(ctx context.Context) error {
	body, err := c.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		return fmt.Errorf("%w: %s", err, body)
	}
	return nil
}

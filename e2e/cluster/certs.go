package cluster

import "net"

// Client identities. The scheduler and the controller-manager use the admin
// identity: this is a disposable test cluster, and it keeps RBAC out of the
// way of what the tests look at.
const (
	adminUser     = "kvenv-admin"
	mastersGroup  = "system:masters"
	kubeletClient = "kube-apiserver-kubelet-client"
	// frontProxyClient is who the API server is when it proxies to an
	// aggregated API server; controllers warn without that configuration.
	frontProxyClient = "front-proxy-client"
)

// writeCertificates writes the CA, the serving and client certificates of
// every component, the service-account key pair and the kubeconfigs.
func (c *Cluster) writeCertificates() error {
	p, err := newPKI(c.path("pki"))
	if err != nil {
		return err
	}
	c.pki, c.CAPEM = p, p.CAPEM
	nodeIP := net.ParseIP(c.NodeIP)
	certs := map[string]certSpec{
		"apiserver": {commonName: "kube-apiserver", server: true,
			dnsNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
			ips:      apiServerIPs(nodeIP, c.opts.ServiceCIDR)},
		"kubelet-serving":    {commonName: NodeName, server: true, dnsNames: []string{NodeName}, ips: []net.IP{nodeIP}},
		"kubelet-client":     {commonName: "system:node:" + NodeName, orgs: []string{"system:nodes"}},
		"apiserver-kubelet":  {commonName: kubeletClient, orgs: []string{mastersGroup}},
		"admin":              {commonName: adminUser, orgs: []string{mastersGroup}},
		"front-proxy-client": {commonName: frontProxyClient},
	}
	for name, spec := range certs {
		if err := p.issue(name, spec); err != nil {
			return err
		}
	}
	if err := p.writeServiceAccountKeys(); err != nil {
		return err
	}
	return c.writeKubeconfigs()
}

func apiServerIPs(nodeIP net.IP, serviceCIDR string) []net.IP {
	ips := []net.IP{nodeIP, net.IPv4(127, 0, 0, 1)}
	if svc := firstServiceIP(serviceCIDR); svc != nil {
		ips = append(ips, svc)
	}
	return ips
}

// firstServiceIP is the ClusterIP of the kubernetes Service (the first
// address of the range), which in-cluster clients put in their TLS checks.
func firstServiceIP(cidr string) net.IP {
	_, ipnet, err := net.ParseCIDR(cidr)
	if err != nil {
		return nil
	}
	ip := ipnet.IP.To4()
	if ip == nil {
		return nil
	}
	first := make(net.IP, len(ip))
	copy(first, ip)
	first[3]++
	return first
}

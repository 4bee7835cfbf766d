package cluster

import (
	"os"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeKubeconfigs writes admin.kubeconfig (tests, kubectl, scheduler,
// controller-manager) and kubelet.kubeconfig (the node's identity), and
// builds the admin client.
func (c *Cluster) writeKubeconfigs() error {
	c.Kubeconfig = c.path("admin.kubeconfig")
	if err := c.writeKubeconfig(c.Kubeconfig, "admin"); err != nil {
		return err
	}
	if err := c.writeKubeconfig(c.path("kubelet.kubeconfig"), "kubelet-client"); err != nil {
		return err
	}
	cfg, err := c.restConfig("admin")
	if err != nil {
		return err
	}
	c.Config = cfg
	c.Client, err = kubernetes.NewForConfig(cfg)
	return err
}

// writeKubeconfig writes a kubeconfig with the certificate pki/<cert>.crt
// embedded, so it stays usable when copied elsewhere.
func (c *Cluster) writeKubeconfig(path, cert string) error {
	certPEM, keyPEM, err := c.readPair(cert)
	if err != nil {
		return err
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["kvenv"] = &clientcmdapi.Cluster{Server: c.APIServer, CertificateAuthorityData: c.CAPEM}
	kc.AuthInfos[cert] = &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM}
	kc.Contexts["kvenv"] = &clientcmdapi.Context{Cluster: "kvenv", AuthInfo: cert}
	kc.CurrentContext = "kvenv"
	return clientcmd.WriteToFile(*kc, path)
}

// restConfig is a client configuration with the certificate pki/<cert>.crt.
func (c *Cluster) restConfig(cert string) (*rest.Config, error) {
	certPEM, keyPEM, err := c.readPair(cert)
	if err != nil {
		return nil, err
	}
	return &rest.Config{
		Host:            c.APIServer,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.CAPEM, CertData: certPEM, KeyData: keyPEM},
		QPS:             50,
		Burst:           100,
	}, nil
}

func (c *Cluster) readPair(name string) (certPEM, keyPEM []byte, err error) {
	if certPEM, err = os.ReadFile(c.pki.path(name + ".crt")); err != nil {
		return nil, nil, err
	}
	keyPEM, err = os.ReadFile(c.pki.path(name + ".key"))
	return certPEM, keyPEM, err
}

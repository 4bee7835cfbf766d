package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// NodeName is the name of the cluster's only node.
const NodeName = "kvenv-node"

// Cluster is a running single-node Kubernetes cluster: etcd, kube-apiserver,
// kube-scheduler, kube-controller-manager, containerd + runc, a kubelet and
// an in-process image registry, all inside this process's private network
// namespace.
type Cluster struct {
	Dir        string // everything of this cluster: configs, state, logs
	LogDir     string // one <component>.log per component
	NodeIP     string
	APIServer  string       // https://NodeIP:6443
	Registry   string       // host:port of the plain-HTTP registry that containerd and pods reach
	Kubeconfig string       // admin kubeconfig file (system:masters)
	Config     *rest.Config // admin
	Client     kubernetes.Interface
	CAPEM      []byte // the CA of the API server's and the kubelet's certificates
	Issuer     string // iss of service-account tokens
	Images     Images
	Timings    []Timing // how long each start step took

	opts   Options
	pki    *pki
	cgroup string // cgroupfs path of every pod of this cluster
	procs  components
	reg    *registryServer

	startErr error // why Start failed, for BeforeRemove
	stopOnce sync.Once
}

// Images are the images every cluster holds, by digest.
type Images struct {
	Pause   string // the pod sandbox
	Busybox string // static busybox with sh and every applet
}

// Timing is one step of Start.
type Timing struct {
	Step     string
	Duration time.Duration
}

func (t Timing) String() string { return t.Step + " " + t.Duration.Round(time.Millisecond).String() }

type components struct {
	etcd, apiserver, containerd, kubelet, scheduler, controllerManager *process
}

// Start starts a cluster and returns once the node is Ready, pods can be
// scheduled and the default service account exists. It must run in a
// private network namespace (see RunInNetns and Main). On error everything
// started is stopped again.
func Start(opts Options) (*Cluster, error) {
	opts = opts.withDefaults()
	if missing := MissingPrerequisites(opts.ToolsDir); len(missing) > 0 {
		return nil, fmt.Errorf("kvenv e2e: cannot start a cluster, missing:\n  %s", strings.Join(missing, "\n  "))
	}
	if err := requirePrivateNetns(); err != nil {
		return nil, err
	}
	c, err := newCluster(opts)
	if err != nil {
		return nil, err
	}
	if err := c.start(); err != nil {
		c.startErr = fmt.Errorf("kvenv e2e: starting the cluster in %s: %w", c.Dir, err)
		c.Stop()
		return nil, c.startErr
	}
	return c, nil
}

func newCluster(opts Options) (*Cluster, error) {
	dir, err := os.MkdirTemp(opts.ParentDir, "cluster-")
	if err != nil {
		return nil, fmt.Errorf("kvenv e2e: creating the cluster directory: %w", err)
	}
	c := &Cluster{
		Dir:       dir,
		LogDir:    filepath.Join(dir, "logs"),
		NodeIP:    opts.NodeIP,
		APIServer: "https://" + opts.NodeIP + ":6443",
		Registry:  opts.NodeIP + ":5000",
		Issuer:    opts.ServiceAccountIssuer,
		opts:      opts,
		cgroup:    cgroupFor(dir),
	}
	for _, sub := range []string{"logs", "pki"} {
		if err := os.MkdirAll(c.path(sub), 0o755); err != nil {
			return nil, errors.Join(err, os.RemoveAll(dir))
		}
	}
	if opts.KeepDir {
		if err := os.WriteFile(c.path(keepMarker), nil, 0o644); err != nil {
			return nil, errors.Join(err, os.RemoveAll(dir))
		}
	}
	return c, nil
}

// path names a file or directory inside the cluster's directory.
func (c *Cluster) path(elem ...string) string {
	return filepath.Join(append([]string{c.Dir}, elem...)...)
}

// tool is the path of a binary built by hack/build-tools.sh.
func (c *Cluster) tool(name string) string { return filepath.Join(c.opts.ToolsDir, name) }

// start runs the steps in dependency order. Processes are started before
// waiting on earlier ones where nothing depends on it, to save time.
func (c *Cluster) start() error {
	steps := []struct {
		name string
		run  func() error
	}{
		{"node network", func() error { return setupNodeNetwork(c.NodeIP) }},
		{"certificates", c.writeCertificates},
		{"pod cgroup", func() error { return createCgroup(c.cgroup) }},
		{"start etcd", c.startEtcd},
		{"start containerd", c.startContainerd},
		{"registry and images", c.startRegistry},
		{"wait etcd", c.waitEtcd},
		{"kube-apiserver", c.startAPIServer},
		{"start kubelet, scheduler, controller-manager", c.startNodeAndControllers},
		{"wait node Ready", c.waitNodeReady},
		{"wait default service account", c.waitDefaultServiceAccount},
	}
	for _, s := range steps {
		begin := time.Now()
		if err := s.run(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		c.Timings = append(c.Timings, Timing{s.name, time.Since(begin)})
		c.opts.Logf("kvenv e2e: %s done in %s", s.name, time.Since(begin).Round(time.Millisecond))
	}
	return nil
}

// run starts a component with its log in LogDir.
func (c *Cluster) run(name string, env []string, bin string, args ...string) (*process, error) {
	return startProcess(c.LogDir, name, env, bin, args...)
}

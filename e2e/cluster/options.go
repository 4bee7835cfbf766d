package cluster

import (
	"os"
	"time"

	"github.com/kvenv/kvenv/internal/testcluster"
)

// Options configure a cluster; the zero value is a working single-node cluster.
type Options struct {
	// ToolsDir holds the binaries of hack/build-tools.sh cluster (default ToolsBinDir()).
	ToolsDir string
	// ParentDir is where the cluster's directory is made (default: the
	// directory of RunInNetns/Main, else the system temp directory).
	ParentDir string
	// NodeIP is the node's address inside the private namespace (default 10.99.0.1).
	NodeIP string
	// PodCIDR is the pod network of the CNI bridge (default 10.88.0.0/24).
	PodCIDR string
	// ServiceCIDR is the cluster IP range of Services (default 10.96.0.0/16).
	// No kube-proxy runs: ClusterIPs do not route.
	ServiceCIDR string
	// ServiceAccountIssuer is the iss of service-account tokens (default
	// https://NodeIP:6443, where /.well-known/openid-configuration is served).
	ServiceAccountIssuer string
	// StartTimeout bounds each readiness wait of Start (default 2 minutes).
	StartTimeout time.Duration
	// KeepDir leaves the cluster's directory (configs, logs) after Stop.
	KeepDir bool
	// ArtifactsDir, when set, receives a copy of the component logs on Stop.
	ArtifactsDir string
	// BeforeRemove, when set, runs in Stop once every process has ended and
	// before the directory goes: the last moment the logs can be read.
	BeforeRemove func(*Cluster)
	// Logf receives progress lines (default: none).
	Logf func(format string, args ...any)
}

func (o Options) withDefaults() Options {
	if o.ToolsDir == "" {
		o.ToolsDir = ToolsBinDir()
	}
	if o.ParentDir == "" {
		o.ParentDir = os.Getenv(envWorkDir)
	}
	if o.NodeIP == "" {
		o.NodeIP = "10.99.0.1"
	}
	if o.PodCIDR == "" {
		o.PodCIDR = "10.88.0.0/24"
	}
	if o.ServiceCIDR == "" {
		o.ServiceCIDR = "10.96.0.0/16"
	}
	if o.ServiceAccountIssuer == "" {
		o.ServiceAccountIssuer = "https://" + o.NodeIP + ":6443"
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 2 * time.Minute
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o
}

// ToolsBinDir is where hack/build-tools.sh puts the binaries (the same
// cache the API-server tests use).
func ToolsBinDir() string { return testcluster.BinDir() }

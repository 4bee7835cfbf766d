package cluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// containerdConfig is containerd's config (version 3). Every path lives in
// the cluster's directory so that clusters never share state.
var containerdConfig = template.Must(template.New("containerd").Parse(`version = 3
root = "{{.Dir}}/containerd/root"
state = "{{.Dir}}/containerd/state"
temp = "{{.Dir}}/containerd/tmp"

[grpc]
  address = "{{.Socket}}"

[plugins.'io.containerd.internal.v1.opt']
  path = "{{.Dir}}/containerd/opt"

# NRI listens on a fixed socket shared by every containerd of the machine.
[plugins.'io.containerd.nri.v1.nri']
  disable = true

[plugins.'io.containerd.cri.v1.images']
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "{{.PauseRef}}"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "{{.Dir}}/containerd/certs.d"

[plugins.'io.containerd.cri.v1.runtime']
  # Without CAP_SYS_RESOURCE runc cannot lower oom_score_adj.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  cdi_spec_dirs = []
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
      BinaryName = "{{.Tools}}/runc"
      Root = "{{.Dir}}/runc"
      SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["{{.Tools}}/cni"]
    conf_dir = "{{.Dir}}/cni/net.d"

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
`))

// hostsTOML tells containerd to pull from the registry over plain HTTP.
var hostsTOML = template.Must(template.New("hosts").Parse(`server = "http://{{.}}"

[host."http://{{.}}"]
  capabilities = ["pull", "resolve"]
`))

func (c *Cluster) containerdSocket() string { return containerdSocketIn(c.Dir) }

// containerdSocketIn is the containerd address of the cluster in dir; its
// shims' socket names derive from it (see shimSocketName).
func containerdSocketIn(dir string) string {
	return filepath.Join(dir, "containerd", "containerd.sock")
}

// pauseTag is the sandbox image by tag: containerd's config needs it before
// the image is pushed.
func (c *Cluster) pauseTag() string { return c.Registry + "/kvenv/pause:e2e" }

// startContainerd writes containerd's config, the registry's hosts.toml and
// the CNI config, and starts containerd (the kubelet waits for its socket).
func (c *Cluster) startContainerd() (err error) {
	if err := c.writeCNIConfig(); err != nil {
		return err
	}
	hostsDir := c.path("containerd", "certs.d", c.Registry)
	if err := writeTemplate(filepath.Join(hostsDir, "hosts.toml"), hostsTOML, c.Registry); err != nil {
		return err
	}
	config := c.path("containerd", "config.toml")
	data := map[string]string{"Dir": c.Dir, "Socket": c.containerdSocket(), "PauseRef": c.pauseTag(), "Tools": c.opts.ToolsDir}
	if err := writeTemplate(config, containerdConfig, data); err != nil {
		return err
	}
	// containerd finds containerd-shim-runc-v2 on PATH.
	env := []string{"PATH=" + c.opts.ToolsDir + ":" + os.Getenv("PATH")}
	c.procs.containerd, err = c.run("containerd", env, c.tool("containerd"), "--config", config)
	return err
}

func (c *Cluster) waitContainerd() error {
	return waitFor("containerd socket", c.opts.StartTimeout, []*process{c.procs.containerd}, func(ctx context.Context) error {
		conn, err := (&net.Dialer{}).DialContext(ctx, "unix", c.containerdSocket())
		if err != nil {
			return err
		}
		return conn.Close()
	})
}

// writeTemplate renders t with data into path, creating its directory.
func writeTemplate(path string, t *template.Template, data any) error {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return fmt.Errorf("rendering %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

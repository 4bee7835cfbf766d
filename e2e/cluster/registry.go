package cluster

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/kvenv/kvenv/e2e/images"
)

// registryServer is the cluster's image registry, served by this process on
// the node IP over plain HTTP (containerd is told so in hosts.toml).
type registryServer struct {
	server  *http.Server
	logFile *os.File
	done    chan struct{}
}

// startRegistry serves the registry and pushes the pause and busybox images.
func (c *Cluster) startRegistry() error {
	ln, err := net.Listen("tcp", c.Registry)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", c.Registry, err)
	}
	logFile, err := os.Create(c.path("logs", "registry.log"))
	if err != nil {
		ln.Close()
		return err
	}
	c.reg = &registryServer{
		server: &http.Server{
			Handler:           registry.New(registry.Logger(log.New(logFile, "", log.LstdFlags))),
			ReadHeaderTimeout: 10 * time.Second,
		},
		logFile: logFile,
		done:    make(chan struct{}),
	}
	go func() {
		defer close(c.reg.done)
		if err := c.reg.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(logFile, "kvenv e2e: registry stopped: %v\n", err)
		}
	}()
	return c.pushBuiltinImages()
}

func (c *Cluster) pushBuiltinImages() error {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.StartTimeout)
	defer cancel()
	pauseBin, err := GoBinaryPath(pauseBinName)
	if err != nil {
		return err
	}
	pause, err := os.ReadFile(pauseBin)
	if err != nil {
		return err
	}
	if c.Images.Pause, err = images.BuildAndPush(ctx, images.Pause(pause), c.pauseTag()); err != nil {
		return err
	}
	busybox, err := images.Busybox()
	if err != nil {
		return err
	}
	c.Images.Busybox, err = c.PushImage(ctx, "busybox", busybox)
	return err
}

// PushImage builds spec and pushes it as <Registry>/kvenv/<repo>:e2e. It
// returns the reference by digest, for pod specs.
func (c *Cluster) PushImage(ctx context.Context, repo string, spec images.Spec) (string, error) {
	return images.BuildAndPush(ctx, spec, c.Registry+"/kvenv/"+repo+":e2e")
}

func (r *registryServer) stop() {
	if r == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	if err := r.server.Shutdown(ctx); err != nil {
		r.server.Close()
	}
	<-r.done
	r.logFile.Close()
}

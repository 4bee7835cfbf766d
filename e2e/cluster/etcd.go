package cluster

import (
	"context"
	"fmt"
	"net/http"
)

const etcdURL = "http://127.0.0.1:2379"

// startEtcd starts etcd on loopback. fsync is off: the data dies with the test.
func (c *Cluster) startEtcd() (err error) {
	c.procs.etcd, err = c.run("etcd", nil, c.tool("etcd"),
		"--name=kvenv",
		"--data-dir="+c.path("etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls=http://127.0.0.1:2380",
		"--initial-advertise-peer-urls=http://127.0.0.1:2380",
		"--initial-cluster=kvenv=http://127.0.0.1:2380",
		"--unsafe-no-fsync",
		"--log-level=warn",
	)
	return err
}

func (c *Cluster) waitEtcd() error {
	return waitFor("etcd", c.opts.StartTimeout, []*process{c.procs.etcd}, func(ctx context.Context) error {
		return httpOK(ctx, etcdURL+"/health")
	})
}

// httpOK GETs url and wants a 200.
func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

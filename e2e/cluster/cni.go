package cluster

import (
	"encoding/json"
	"os"
)

// writeCNIConfig writes the pod network: a bridge (cni0) with the gateway
// address, host-local IPAM with its state in the cluster's directory, and no
// masquerade: pods only talk to addresses of this namespace.
func (c *Cluster) writeCNIConfig() error {
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "kvenv",
		"plugins": []any{
			map[string]any{
				"type":      "bridge",
				"bridge":    "cni0",
				"isGateway": true,
				"ipMasq":    false,
				"ipam": map[string]any{
					"type":    "host-local",
					"dataDir": c.path("cni", "ipam"),
					"ranges":  []any{[]any{map[string]string{"subnet": c.opts.PodCIDR}}},
					"routes":  []any{map[string]string{"dst": "0.0.0.0/0"}},
				},
			},
		},
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.path("cni", "net.d"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(c.path("cni", "net.d", "10-kvenv.conflist"), data, 0o644)
}

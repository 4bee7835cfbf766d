package scenario

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kvenv/kvenv/e2e/cluster"
)

// helmTimeout bounds one helm command.
const helmTimeout = 3 * time.Minute

// chartValues configure kvenv for this cluster: the image just pushed, one
// replica, the fakes' CA as the extra CA bundle, the fake vault allowed by
// its https://IP:port URL (no DNS here), no Entra instance discovery (the
// fake authority is not in Azure's list), and the cluster registry reached
// over plain HTTP for ENTRYPOINT look-ups.
func chartValues(c *cluster.Cluster, kvenvRef, caPEM, vaultURL string) map[string]any {
	repo, digest, _ := strings.Cut(kvenvRef, "@")
	return map[string]any{
		"image":               map[string]any{"repository": repo, "digest": digest},
		"replicaCount":        1,
		"podDisruptionBudget": map[string]any{"enabled": false},
		"azure":               map[string]any{"caBundle": caPEM, "disableInstanceDiscovery": true},
		"allowedVaults":       []string{vaultURL},
		"registry":            map[string]any{"insecureHosts": []string{c.Registry}},
	}
}

// helmInstall runs `helm install` of the chart in this repository with the
// cluster's admin kubeconfig; helm's own state goes to dir.
func helmInstall(ctx context.Context, c *cluster.Cluster, dir string, values map[string]any) error {
	chart, err := chartDir()
	if err != nil {
		return err
	}
	data, err := yaml.Marshal(values)
	if err != nil {
		return err
	}
	valuesFile := filepath.Join(dir, "kvenv-values.yaml")
	if err := os.WriteFile(valuesFile, data, 0o600); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, helmTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(cluster.ToolsBinDir(), "helm"), "install", KvenvRelease, chart,
		"--namespace", KvenvNamespace, "--create-namespace", "--kubeconfig", c.Kubeconfig, "--values", valuesFile)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(dir, "helm", "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(dir, "helm", "config"), "HELM_DATA_HOME="+filepath.Join(dir, "helm", "data"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("helm install: %w\n%s", err, out)
	}
	return nil
}

// chartDir finds manifests/charts/kvenv from the working directory, which
// is the package directory under `go test` and the module root under
// `go run`.
func chartDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		chart := filepath.Join(dir, "manifests", "charts", "kvenv")
		if _, err := os.Stat(filepath.Join(chart, "Chart.yaml")); err == nil {
			return chart, nil
		}
		if dir == filepath.Dir(dir) {
			return "", errors.New("kvenv's Helm chart (manifests/charts/kvenv) not found above " + wd)
		}
	}
}

package manifests

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestChartArgsAreFlagsOfTheBinary runs the real kvenv-webhook's flag parser
// over the container arguments of several renderings: `serve ARGS... -h`
// stops at -h after parsing everything before it and exits 0 with the
// usage, so an argument the binary does not define, or a value it cannot
// parse, shows as an error and exit status 1 instead.
func TestChartArgsAreFlagsOfTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kvenv-webhook")
	}
	bin := filepath.Join(t.TempDir(), "kvenv-webhook")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/kvenv/kvenv/cmd/kvenv-webhook").CombinedOutput(); err != nil {
		t.Fatalf("building kvenv-webhook: %v\n%s", err, out)
	}
	for _, c := range chartCases {
		t.Run(c.name, func(t *testing.T) {
			argv := deployment(t, render(t, "kvenv", "kvenv", c.set...)).Spec.Template.Spec.Containers[0].Args
			if len(argv) == 0 || argv[0] != "serve" {
				t.Fatalf("the container must run the serve command: %q", argv)
			}
			out, err := exec.Command(bin, append(argv, "-h")...).CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "Usage of serve:") {
				t.Fatalf("kvenv-webhook rejects the chart's arguments %q (%v):\n%s", argv, err, lastLine(out))
			}
		})
	}
}

// lastLine is where the binary puts its error, after the usage.
func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

const injectorImage = "ghcr.io/kvenv/kvenv:0.1.0"

// deploymentWithoutCommand is a workload whose container leaves its command
// to the image, as the tutorial's app does.
const deploymentWithoutCommand = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata:
      labels: {app: app}
      annotations:
        kvenv.io/vault: myvault
        kvenv.io/env.DB_PASSWORD: DbPassword
    spec:
      containers:
        - name: app
          image: registry.example/app:1
`

// misspeltAnnotation is denied for a reason that has nothing to do with the
// container's command.
const misspeltAnnotation = `apiVersion: v1
kind: Pod
metadata:
  name: typo
  annotations:
    kvenv.io/vault: myvault
    kvenv.io/evn.DB_PASSWORD: DbPassword
spec:
  containers:
    - name: app
      image: registry.example/app:1
      command: ["/app"]
`

func runRender(t *testing.T, stdin string, args ...string) (stdout string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = render(args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

// A file given without -f used to be ignored: render read the (empty)
// standard input, printed nothing and succeeded.
func TestRenderRejectsAFileNamedWithoutF(t *testing.T) {
	file := filepath.Join(t.TempDir(), "deploy.yaml")
	writeFile(t, file, []byte(deploymentWithoutCommand))
	out, err := runRender(t, "", "--injector-image", injectorImage, file)
	if err == nil {
		t.Fatalf("render accepted %s without -f and printed:\n%s", file, out)
	}
	for _, want := range []string{`unexpected argument "` + file + `"`, "-f"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not say %q", err, want)
		}
	}
	if out != "" {
		t.Errorf("nothing may be printed on failure, got:\n%s", out)
	}
}

// The webhook tells a user to set `command`; render can also be given the
// image's ENTRYPOINT, and says how.
func TestRenderPointsAtTheEntrypointFlag(t *testing.T) {
	const hint = "--entrypoint <container>=<JSON>"
	for name, manifest := range map[string]string{
		"alone":                        deploymentWithoutCommand,
		"after another kind of denial": misspeltAnnotation + "---\n" + deploymentWithoutCommand,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := runRender(t, manifest, "--injector-image", injectorImage)
			if err == nil {
				t.Fatal("a container without command and without --entrypoint was rendered")
			}
			for _, want := range []string{"container app", unknownEntrypoint, hint, "{{json .Config.Entrypoint}}", "{{json .Config.Cmd}}"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error does not say %q:\n%s", want, err)
				}
			}
		})
	}
	t.Run("not for other denials", func(t *testing.T) {
		_, err := runRender(t, misspeltAnnotation, "--injector-image", injectorImage)
		if err == nil || strings.Contains(err.Error(), hint) {
			t.Errorf("want the denial of the misspelt annotation without the --entrypoint hint, got: %v", err)
		}
	})
	t.Run("the flag it names works", func(t *testing.T) {
		out, err := runRender(t, deploymentWithoutCommand,
			"--injector-image", injectorImage, "--entrypoint", `app=["java","-jar","/app.jar"]`)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "- /app.jar") || !strings.Contains(out, "name: kvenv-init") {
			t.Errorf("the ENTRYPOINT given is not run behind the wrapper:\n%s", out)
		}
	})
}

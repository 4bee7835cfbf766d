package main

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/kvenv/kvenv/internal/layout"
	"github.com/kvenv/kvenv/webhook"
)

// podWithCommand is injected without any image look-up.
const podWithCommand = `apiVersion: v1
kind: Pod
metadata:
  name: second
  annotations:
    kvenv.io/vault: myvault
    kvenv.io/env.API_KEY: ApiKey
spec:
  containers:
    - name: app
      image: registry.example/app:1
      command: ["/app"]
`

// `render -f a -f b` used to render only b: -f was a plain string flag,
// each use replacing the last.
func TestRenderRendersEveryFileGiven(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "deploy.yaml"), filepath.Join(dir, "pod.yaml")
	writeFile(t, first, []byte(deploymentWithoutCommand))
	writeFile(t, second, []byte(podWithCommand))
	out, err := runRender(t, "", "--injector-image", injectorImage, "--entrypoint", `app=["/app"]`, "-f", first, "-f", second)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: Deployment", "name: second", "---\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "name: kvenv-init"); n != 2 {
		t.Errorf("%d init containers, want one per file:\n%s", n, out)
	}
}

// A denial in one file names that file, and nothing is printed: a pipeline
// must not apply the files that did render.
func TestRenderNamesTheFileThatFailed(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.yaml"), filepath.Join(dir, "bad.yaml")
	writeFile(t, good, []byte(podWithCommand))
	writeFile(t, bad, []byte(deploymentWithoutCommand))
	out, err := runRender(t, "", "--injector-image", injectorImage, "-f", good, "-f", bad)
	if err == nil || !strings.Contains(err.Error(), "render "+bad+": ") || strings.Contains(err.Error(), good) {
		t.Fatalf("want the denial of %s alone, got: %v", bad, err)
	}
	if out != "" {
		t.Errorf("printed a partial render:\n%s", out)
	}
}

// The webhook runs an image's ENTRYPOINT followed by its CMD; render could
// only be given the ENTRYPOINT, so an image with a CMD alone could not be
// rendered at all.
func TestRenderTakesTheImageCMD(t *testing.T) {
	cases := []struct {
		name, flag            string
		wantCommand, wantArgs []string
	}{
		{"CMD alone", `app={"entrypoint":null,"cmd":["/app","--serve"]}`,
			[]string{layout.ExecPath, "--"}, []string{"/app", "--serve"}},
		{"ENTRYPOINT and CMD", `app={"entrypoint":["/app"],"cmd":["--serve"]}`,
			[]string{layout.ExecPath, "--", "/app"}, []string{"--serve"}},
		{"spelt as docker image inspect's .Config", `app={"Entrypoint":["/app"],"Cmd":["--serve"]}`,
			[]string{layout.ExecPath, "--", "/app"}, []string{"--serve"}},
		{"ENTRYPOINT as an argv, as before", `app=["/app","--serve"]`,
			[]string{layout.ExecPath, "--", "/app", "--serve"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runRender(t, deploymentWithoutCommand, "--injector-image", injectorImage, "--entrypoint", tc.flag)
			if err != nil {
				t.Fatal(err)
			}
			d := &appsv1.Deployment{}
			if err := yaml.Unmarshal([]byte(out), d); err != nil {
				t.Fatalf("%v:\n%s", err, out)
			}
			c := d.Spec.Template.Spec.Containers[0]
			if !reflect.DeepEqual(c.Command, tc.wantCommand) || !reflect.DeepEqual(c.Args, tc.wantArgs) {
				t.Errorf("command %q args %q, want %q %q", c.Command, c.Args, tc.wantCommand, tc.wantArgs)
			}
		})
	}
}

func TestEntrypointFlagRefusesWhatItCannotUse(t *testing.T) {
	for _, v := range []string{
		`app=[]`,
		`app=null`,
		`app={"entrypoint":[],"cmd":null}`,
		`app={"entrypoint":["/app"],"cmnd":["--serve"]}`,
		`app={"entrypoint":["/app"]} trailing`,
		`app={"entrypoint":"/app"}`,
		`=["/app"]`,
		`["/app"]`,
	} {
		err := entrypointFlag{}.Set(v)
		if err == nil {
			t.Errorf("--entrypoint %s was accepted", v)
		}
	}
	e := entrypointFlag{}
	if err := e.Set(`app={"cmd":["/app"]}`); err != nil {
		t.Fatal(err)
	}
	if want := (webhook.ImageCommand{Cmd: []string{"/app"}}); !reflect.DeepEqual(e["app"], want) {
		t.Errorf("got %+v, want %+v", e["app"], want)
	}
}

// The webhook reads the namespace's kvenv.io/allowed-vaults; render, which
// reads no cluster, rendered pods the webhook denies in such a namespace.
func TestRenderAppliesNamespaceAnnotations(t *testing.T) {
	args := []string{"--injector-image", injectorImage}
	if _, err := runRender(t, podWithCommand, args...); err != nil {
		t.Fatalf("without the annotation: %v", err)
	}
	out, err := runRender(t, podWithCommand, append(args, "--namespace-annotation", webhook.NamespaceAllowedVaults+"=othervault")...)
	if err == nil || !strings.Contains(err.Error(), "myvault") {
		t.Fatalf("a vault the namespace does not allow was rendered (err %v):\n%s", err, out)
	}
	if _, err := runRender(t, podWithCommand, append(args, "--namespace-annotation", webhook.NamespaceAllowedVaults+"=myvault")...); err != nil {
		t.Errorf("a vault the namespace allows: %v", err)
	}
	if _, err := runRender(t, podWithCommand, append(args, "--namespace-annotation", "no-equals-sign")...); err == nil {
		t.Error("--namespace-annotation without = was accepted")
	}
}

// A negative quantity parses, and render used to write `cpu: "-1"`, which
// the API server rejects in every pod kvenv injects.
func TestRenderRefusesANegativeInitResource(t *testing.T) {
	for _, flag := range []string{"--init-cpu-request", "--init-memory-request", "--init-cpu-limit", "--init-memory-limit"} {
		out, err := runRender(t, podWithCommand, "--injector-image", injectorImage, flag+"=-1")
		if err == nil || !strings.Contains(err.Error(), flag) || !strings.Contains(err.Error(), "negative") {
			t.Errorf("%s=-1: want an error naming the flag, got %v\n%s", flag, err, out)
		}
	}
}

// A CA bundle without a certificate was reported without the flag or file.
func TestCABundleFileErrorNamesFlagAndFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, file, []byte("not a certificate"))
	_, err := runRender(t, podWithCommand, "--injector-image", injectorImage, "--ca-bundle-file", file)
	if err == nil {
		t.Fatal("a CA bundle without a certificate was accepted")
	}
	for _, want := range []string{"--ca-bundle-file", file, "azure.caBundle", "BEGIN CERTIFICATE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
}

func TestRenderExplainsABooleanGivenAsAWord(t *testing.T) {
	_, err := runRender(t, podWithCommand, "--injector-image", injectorImage, "--disable-instance-discovery", "false")
	if err == nil || !strings.Contains(err.Error(), `"false"`) || !strings.Contains(err.Error(), "--disable-instance-discovery=false") {
		t.Errorf("want the stray word and --disable-instance-discovery=false named, got %v", err)
	}
}

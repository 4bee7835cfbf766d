package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvenv/kvenv/cmd/kvenv-loadgen/loadgen"
)

func TestDefaultsAreTheTypicalPodOverFourConnections(t *testing.T) {
	o, out, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.Connections != 4 || o.Rate != 500 || o.Duration != 30*time.Second || o.Pod.Refs != 3 || o.Pod.Containers != 1 ||
		o.Pod.NoCommand || o.AllowRemote || o.Expect != loadgen.ExpectPatch || out.json {
		t.Errorf("defaults: %+v", o)
	}
}

func TestCAFileMustHoldACertificate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(p, []byte("not a certificate"), 0o600)
	if _, _, err := parseFlags([]string{"--ca-file=" + p}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("err = %v", err)
	}
}

func TestRemoteTargetIsRefusedWithAdvice(t *testing.T) {
	var out bytes.Buffer
	err := mainErr([]string{"--target=https://10.0.0.7:443/mutate-v1-pod", "--requests=1", "--duration=1s"}, &out)
	if err == nil || !strings.Contains(err.Error(), "--allow-remote") {
		t.Errorf("err = %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("printed a report for a refused run: %q", out.String())
	}
}

package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvenv/kvenv/cmd/kvenv-loadgen/loadgen"
)

func TestDefaultsAreTheTypicalPodOverFourConnections(t *testing.T) {
	o, out, err := parseFlags(nil, io.Discard)
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
	if _, _, err := parseFlags([]string{"--ca-file=" + p}, io.Discard); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("err = %v", err)
	}
}

func TestRemoteTargetIsRefusedWithAdvice(t *testing.T) {
	var out bytes.Buffer
	err := mainErr([]string{"--target=https://10.0.0.7:443/mutate-v1-pod", "--requests=1", "--duration=1s"}, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--allow-remote") {
		t.Errorf("err = %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("printed a report for a refused run: %q", out.String())
	}
}

// Go's flag parser stops at the first word that is not a flag: `--json
// false --rate=1` used to drop `false` and --rate, and run at the default rate.
func TestStrayWordsAreRefused(t *testing.T) {
	_, _, err := parseFlags([]string{"--json", "false", "--rate=1"}, io.Discard)
	if err == nil {
		t.Fatal("a stray word was accepted and the flags after it dropped")
	}
	for _, want := range []string{`unexpected argument "false"`, "--json=false"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
}

// -h used to exit 1 with "flag: help requested", as if the user had erred.
func TestHelpExitsZero(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if status := run([]string{"-h"}, &stdout, &stderr); status != 0 {
		t.Errorf("exit status %d, want 0; stderr:\n%s", status, stderr.String())
	}
	if strings.Contains(stderr.String(), "help requested") || !strings.Contains(stderr.String(), "-rate") {
		t.Errorf("want the flags and no error, got:\n%s", stderr.String())
	}
	if status := run([]string{"--rate=fast"}, &stdout, &stderr); status != 1 {
		t.Errorf("exit status %d for a bad flag, want 1", status)
	}
}

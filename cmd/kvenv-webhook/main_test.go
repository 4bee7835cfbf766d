package main

import (
	"bytes"
	"strings"
	"testing"
)

// -h used to exit 1 with "flag: help requested", as if the user had erred.
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"serve", "-h"}, {"render", "-h"}, {"migrate", "-h"}, {"help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(args, strings.NewReader(""), &stdout, &stderr)
			if status != 0 {
				t.Errorf("exit status %d, want 0; stderr:\n%s", status, stderr.String())
			}
			if strings.Contains(stderr.String(), "help requested") {
				t.Errorf("help is reported as an error:\n%s", stderr.String())
			}
			if stdout.Len()+stderr.Len() == 0 {
				t.Error("printed no help")
			}
		})
	}
}

func TestErrorsExitOne(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if status := run([]string{"render", "--no-such-flag"}, strings.NewReader(""), &stdout, &stderr); status != 1 {
		t.Errorf("exit status %d for an unknown flag, want 1", status)
	}
	if !strings.Contains(stderr.String(), "kvenv-webhook: ") {
		t.Errorf("the error is not printed: %q", stderr.String())
	}
}

package loadgen

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestOnlyLoopbackTargetsWithoutAllowRemote(t *testing.T) {
	cases := []struct {
		target string
		ok     bool
	}{
		{"https://127.0.0.1:9443/mutate-v1-pod", true},
		{"https://127.8.9.10:9443/mutate-v1-pod", true},
		{"https://[::1]:9443/mutate-v1-pod", true},
		{"https://localhost:9443/mutate-v1-pod", true},
		{"https://10.96.0.15:443/mutate-v1-pod", false},
		{"https://kvenv-webhook.kvenv.svc:443/mutate-v1-pod", false},
		{"https://localhost.example.com/mutate-v1-pod", false},
		{"https://0.0.0.0:9443/mutate-v1-pod", false},
		{"http://127.0.0.1:9443/mutate-v1-pod", false}, // the API server only speaks HTTPS to webhooks
		{"127.0.0.1:9443", false},
	}
	for _, c := range cases {
		err := CheckTarget(c.target, false)
		if (err == nil) != c.ok {
			t.Errorf("CheckTarget(%q) = %v, want ok=%v", c.target, err, c.ok)
		}
	}
	if err := CheckTarget("https://10.96.0.15:443/mutate-v1-pod", true); err != nil {
		t.Errorf("--allow-remote still refused a remote target: %v", err)
	}
	if err := CheckTarget("https://10.96.0.15:443/", false); err == nil || !strings.Contains(err.Error(), "--allow-remote") || !strings.Contains(err.Error(), "port-forward") {
		t.Errorf("refusal should name --allow-remote and port-forward: %v", err)
	}
}

func TestDialerRefusesANonLoopbackAddress(t *testing.T) {
	if err := loopbackOnly("tcp", "192.0.2.1:443", nil); err == nil {
		t.Error("dialling 192.0.2.1 was allowed")
	}
	if err := loopbackOnly("tcp", "127.0.0.1:443", nil); err != nil {
		t.Errorf("dialling loopback was refused: %v", err)
	}
}

func TestRunRefusesARemoteTargetBeforeSendingAnything(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Run(ctx, Options{Target: "https://192.0.2.1:443/mutate-v1-pod", Requests: 1, Duration: time.Second})
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("Run = %v, want a refusal", err)
	}
}

func TestOptionsNameEveryBadSetting(t *testing.T) {
	o := Options{Target: "https://127.0.0.1:1/", Connections: -1, Rate: -5, Requests: 0, Duration: 0, Expect: "maybe",
		Pod: PodShape{Containers: 500, Refs: -1}}
	_, err := o.withDefaults()
	if err == nil {
		t.Fatal("bad options accepted")
	}
	for _, s := range []string{"connections -1", "rate -5", "requests 0", "duration 0s", `expect "maybe"`, "containers 500", "refs -1"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q: %v", s, err)
		}
	}
}

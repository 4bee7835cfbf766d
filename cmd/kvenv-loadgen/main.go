// kvenv-loadgen measures a kvenv webhook the way the API server uses it:
// pod AdmissionReviews over HTTPS on a few HTTP/1.1 keep-alive
// connections, at a fixed offered rate (latency includes queueing) or at
// saturation. It only targets loopback unless --allow-remote is given:
// reach a cluster's webhook with kubectl port-forward.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/kvenv/kvenv/cmd/kvenv-loadgen/loadgen"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run returns the exit status: 0 also when -h asked for the flags, which
// the flag package has printed by then.
func run(args []string, stdout, stderr io.Writer) int {
	err := mainErr(args, stdout, stderr)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "kvenv-loadgen:", err)
	return 1
}

func mainErr(args []string, stdout, stderr io.Writer) error {
	o, out, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	report, err := loadgen.Run(ctx, o)
	if err != nil {
		return err
	}
	if out.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	report.Print(stdout)
	return nil
}

type output struct{ json bool }

func parseFlags(args []string, stderr io.Writer) (loadgen.Options, output, error) {
	fs := flag.NewFlagSet("kvenv-loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o loadgen.Options
	var out output
	fs.StringVar(&o.Target, "target", "https://127.0.0.1:9443/mutate-v1-pod", "the webhook's admission URL")
	fs.BoolVar(&o.AllowRemote, "allow-remote", false, "allow a target that is not a loopback address (for a port-forward, use 127.0.0.1 instead)")
	fs.IntVar(&o.Connections, "connections", loadgen.DefaultConnections, "HTTP/1.1 keep-alive connections, as the API server holds")
	fs.Float64Var(&o.Rate, "rate", 500, "offered requests per second, sent on schedule (open loop); 0 for saturation")
	fs.IntVar(&o.Requests, "requests", 100000, "stop after this many requests")
	fs.DurationVar(&o.Duration, "duration", 30*time.Second, "stop after this long")
	fs.DurationVar(&o.Timeout, "timeout", loadgen.DefaultTimeout, "give up on a request this long after it was handed out")
	fs.StringVar(&o.Expect, "expect", loadgen.ExpectPatch, "success means: patch (allowed and mutated), allowed, or ok (any HTTP 200)")
	fs.StringVar(&o.Pod.Namespace, "namespace", loadgen.DefaultNamespace, "the pod's namespace: it must be opted in (kvenv.io/injection=enabled) for a patch")
	fs.IntVar(&o.Pod.Containers, "containers", loadgen.DefaultContainers, "containers in the pod")
	fs.IntVar(&o.Pod.Refs, "refs", loadgen.DefaultRefs, "kvenv.io/env.* references in the pod")
	fs.BoolVar(&o.Pod.NoCommand, "no-command", false, "leave `command` unset, so the webhook looks the image's entrypoint up")
	fs.StringVar(&o.Pod.Image, "image", loadgen.DefaultImage, "the containers' image (with --no-command, one the webhook can read)")
	fs.StringVar(&o.Pod.Vault, "vault", loadgen.DefaultVault, "kvenv.io/vault")
	caFile := fs.String("ca-file", "", "PEM CA that signed the webhook's certificate (default: the system roots)")
	serverName := fs.String("server-name", "", "name to verify in the certificate, e.g. kvenv-webhook.kvenv.svc through a port-forward")
	fs.BoolVar(&out.json, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return o, out, err
	}
	if err := strayArgument(fs, args); err != nil {
		return o, out, err
	}
	tlsConfig, err := tlsConfig(*caFile, *serverName)
	o.TLS = tlsConfig
	return o, out, err
}

// strayArgument refuses the words left after parsing. Go's flag parser
// stops at the first word that is not a flag and leaves the rest unread, so
// `--no-command false --rate=10` would silently drop both `false` and
// `--rate=10`.
func strayArgument(fs *flag.FlagSet, args []string) error {
	if fs.NArg() == 0 {
		return nil
	}
	stray := fs.Arg(0)
	advice := "a boolean flag takes its value after =, e.g. --no-command=false"
	if i := len(args) - fs.NArg(); i > 0 && args[i-1] != "--" && strings.HasPrefix(args[i-1], "-") {
		if _, err := strconv.ParseBool(stray); err == nil {
			advice = fmt.Sprintf("a boolean flag takes its value after =: write %s=%s", args[i-1], stray)
		}
	}
	return fmt.Errorf("unexpected argument %q: it and every flag after it were not read; kvenv-loadgen takes no arguments, only flags; %s", stray, advice)
}

func tlsConfig(caFile, serverName string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	c.RootCAs = x509.NewCertPool()
	if !c.RootCAs.AppendCertsFromPEM(pem) {
		return nil, errors.New("--ca-file holds no PEM certificate")
	}
	return c, nil
}

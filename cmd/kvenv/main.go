// Command kvenv is the init container the webhook adds: it fetches the
// referenced Key Vault secrets into the pod's memory volume.
//
//	kvenv [--dir=/kvenv] [--file-mode=0400] [--timeout=2m] [--client-id=ID]
//	      [--authority-host=URL] [--disable-instance-discovery] [--concurrency=16]
//	      [--require-workload-identity=SERVICE_ACCOUNT]
//	      -- VAR=https://<vault-host>/secrets/<name>[/<version>] ...
//
// KVENV_CA_BUNDLE (PEM) adds trusted CAs; the workload identity variables
// (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE,
// AZURE_AUTHORITY_HOST) select workload identity. The webhook adds
// --require-workload-identity to a pod labelled azure.workload.identity/use
// whose containers lack those variables: without them kvenv then fails
// rather than sign in as the node's managed identity.
//
// It exits 0 when every value is in the volume, 1 when the fetch failed, and
// 2 on a usage error, found before anything is fetched.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kvenv/kvenv/injector/fetch"
	"github.com/kvenv/kvenv/internal/layout"
	"github.com/kvenv/kvenv/internal/secretref"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		printLines(stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := fetch.Run(ctx, cfg, stdout); err != nil {
		printLines(stderr, err)
		return 1
	}
	return 0
}

func parse(args []string, stderr io.Writer) (fetch.Config, error) {
	fl := flag.NewFlagSet("kvenv", flag.ContinueOnError)
	fl.SetOutput(stderr)
	cfg := fetch.Config{Retry: fetch.DefaultRetry, CABundle: []byte(os.Getenv("KVENV_CA_BUNDLE"))}
	var ic fetch.IdentityConfig
	fl.StringVar(&cfg.Dir, "dir", layout.MountPath, "the kvenv volume's mount path")
	fileMode := fl.String("file-mode", "0400", "octal mode of each value file")
	fl.DurationVar(&cfg.Timeout, "timeout", 2*time.Minute, "bound on the whole fetch, retries included")
	fl.IntVar(&cfg.Concurrency, "concurrency", fetch.DefaultConcurrency, "most secret requests in flight at once")
	fl.StringVar(&cfg.ExecSource, "exec-source", layout.ImageExecPath, "the kvenv-exec binary to copy into the volume")
	fl.StringVar(&ic.ClientID, "client-id", "", "client ID of a user-assigned managed identity")
	fl.StringVar(&ic.AuthorityHost, "authority-host", "", "Entra ID authority host (default AZURE_AUTHORITY_HOST, else the public cloud)")
	fl.BoolVar(&ic.DisableInstanceDiscovery, "disable-instance-discovery", false, "skip authority discovery (private clouds)")
	fl.StringVar(&ic.RequireWorkloadIdentityFor, requireWorkloadIdentity, "",
		"the pod's service account: fail unless the workload identity variables are set, rather than use the node's identity")
	if err := fl.Parse(args); err != nil {
		return cfg, err
	}
	if err := checkServiceAccountGiven(fl); err != nil {
		return cfg, err
	}
	mode, err := strconv.ParseUint(*fileMode, 8, 32)
	if err != nil {
		return cfg, fmt.Errorf("--file-mode %q: want an octal mode such as 0400", *fileMode)
	}
	cfg.FileMode = fs.FileMode(mode)
	cfg.Identity = fetch.IdentityFromEnv(os.Getenv, ic)
	if cfg.Refs, err = parseRefs(fl.Args()); err != nil {
		return cfg, err
	}
	// Checked here rather than left to fetch.Run, whose errors exit 1 like a
	// failed fetch: a bad command line is a usage error, exit 2.
	return cfg, cfg.Validate()
}

const requireWorkloadIdentity = "require-workload-identity"

// checkServiceAccountGiven refuses --require-workload-identity with an
// empty value, which would otherwise read as the flag left out and let kvenv
// sign in as the node's identity after all.
func checkServiceAccountGiven(fl *flag.FlagSet) error {
	var err error
	fl.Visit(func(f *flag.Flag) {
		if f.Name == requireWorkloadIdentity && f.Value.String() == "" {
			err = fmt.Errorf("--%s needs the pod's service account name", requireWorkloadIdentity)
		}
	})
	return err
}

// parseRefs parses the VAR=URL arguments, reporting every bad one at once.
func parseRefs(args []string) ([]secretref.Ref, error) {
	var refs []secretref.Ref
	var errs []error
	for _, arg := range args {
		r, err := secretref.Parse(arg)
		errs = append(errs, err)
		refs = append(refs, r)
	}
	return refs, errors.Join(errs...)
}

// printLines prints each line of err as its own "kvenv: " line, so a log
// search for one variable finds its whole message.
func printLines(w io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(w, "kvenv: %s\n", line)
	}
}

package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// Run fetches every reference in cfg and fills the volume, printing one line
// per vault to out. On failure it returns an error with one line per failed
// variable, naming the vault, the secret and what to do, and writes no
// values and no .done.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	opts, err := cfg.clientOptions()
	if err != nil {
		return err
	}
	cred, id, err := newCredential(cfg.Identity, opts)
	if err != nil {
		return err
	}
	vol := volume{dir: cfg.Dir, mode: cfg.FileMode}
	if err := vol.begin(cfg.ExecSource); err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	plans := plan(cfg.Refs)
	f := fetcher{cred: cred, opts: azsecrets.ClientOptions{ClientOptions: opts}, slots: make(chan struct{}, cfg.Concurrency)}
	f.fetchAll(ctx, plans)
	if err := failures(plans, explainer{id: id, timeout: cfg.Timeout}); err != nil {
		return err
	}

	if err := vol.finish(values(plans)); err != nil {
		return err
	}
	summarize(out, plans, id)
	return nil
}

// sdkRetryAlone leaves throttling to the SDK's retry policy; only a test
// sets it, to measure what waitOutThrottling saves.
var sdkRetryAlone = false

func (c Config) clientOptions() (azcore.ClientOptions, error) {
	opts := azcore.ClientOptions{Retry: c.Retry, Transport: c.Transport}
	if !sdkRetryAlone {
		// Throttling is waited out with a spread, not counted as a failed try.
		opts.PerRetryPolicies = []policy.Policy{newWaitOutThrottling(c.Retry)}
	}
	// The per-try limit goes below the waits, to bound network attempts only.
	opts.Retry.TryTimeout = 0
	opts.PerRetryPolicies = append(opts.PerRetryPolicies, limitEachTry{limit: c.Retry.TryTimeout})
	if opts.Transport == nil {
		client, err := NewHTTPClient(c.CABundle)
		if err != nil {
			return opts, err
		}
		opts.Transport = client
	}
	opts.Transport = failFastOnCertificates(opts.Transport)
	return opts, nil
}

// failures joins one line per failed variable, in the order given.
func failures(plans []*vaultPlan, x explainer) error {
	var errs []error
	for _, vp := range plans {
		for _, t := range vp.targets {
			if t.err == nil {
				continue
			}
			for _, r := range t.refs {
				errs = append(errs, errors.New(x.line(r, t.err)))
			}
		}
	}
	return errors.Join(errs...)
}

// summarize prints one line per vault: names, counts and time, never values.
func summarize(out io.Writer, plans []*vaultPlan, id Identity) {
	for _, vp := range plans {
		var names, envs []string
		for _, t := range vp.targets {
			names = append(names, t.name)
			for _, r := range t.refs {
				envs = append(envs, r.Env)
			}
		}
		slices.Sort(envs)
		fmt.Fprintf(out, "kvenv: fetched vault=%s secrets=%d names=%s env=%s identity=%q elapsed=%s\n",
			vp.url, len(vp.targets), strings.Join(names, ","), strings.Join(envs, ","), id.String(),
			vp.elapsed.Round(time.Millisecond))
	}
}

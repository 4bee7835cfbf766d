package fetch

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// Values that no environment variable can carry.
var (
	errNUL     = errors.New("the value contains a NUL byte, which no environment variable can hold")
	errNoValue = errors.New("the secret has no value")
)

// fetcher gets the planned secrets, at most cap(slots) requests at a time
// across all vaults.
type fetcher struct {
	cred  azcore.TokenCredential
	opts  azsecrets.ClientOptions
	slots chan struct{}
}

func (f *fetcher) fetchAll(ctx context.Context, plans []*vaultPlan) {
	var wg sync.WaitGroup
	for _, vp := range plans {
		wg.Go(func() { f.fetchVault(ctx, vp) })
	}
	wg.Wait()
}

// fetchVault sends one request first: it takes the vault's 401 challenge and
// the one token request, which concurrent first requests would each repeat.
// Only then does it fan out. If that first request shows the whole vault is
// unusable (no token, no answer), the rest are not sent.
func (f *fetcher) fetchVault(ctx context.Context, vp *vaultPlan) {
	start := time.Now()
	last := &lastFailure{}
	defer func() {
		vp.elapsed = time.Since(start)
		explainStalls(vp.targets, last.get())
	}()
	opts := f.opts
	opts.PerRetryPolicies = append(slices.Clone(opts.PerRetryPolicies), last)
	client, err := azsecrets.NewClient(vp.url, f.cred, &opts)
	if err != nil {
		failAll(vp.targets, err)
		return
	}
	probe, rest := vp.targets[0], vp.targets[1:]
	f.get(ctx, client, probe)
	if probe.err != nil && !secretSpecific(probe.err) {
		failAll(rest, probe.err)
		return
	}
	var wg sync.WaitGroup
	for _, t := range rest {
		wg.Go(func() { f.get(ctx, client, t) })
	}
	wg.Wait()
}

func (f *fetcher) get(ctx context.Context, client *azsecrets.Client, t *target) {
	select {
	case f.slots <- struct{}{}:
		defer func() { <-f.slots }()
	case <-ctx.Done():
		t.err = ctx.Err()
		return
	}
	resp, err := client.GetSecret(ctx, t.name, t.version, nil)
	switch {
	case err != nil:
		t.err = err
	case resp.Value == nil:
		t.err = errNoValue
	case strings.IndexByte(*resp.Value, 0) >= 0:
		t.err = errNUL
	default:
		t.value = *resp.Value
	}
}

// secretSpecific reports whether err concerns one secret only (its name or
// its permissions), so the vault's other secrets are still worth asking for.
func secretSpecific(err error) bool {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return errors.Is(err, errNUL) || errors.Is(err, errNoValue)
	}
	return re.StatusCode == http.StatusForbidden || re.StatusCode == http.StatusNotFound
}

// explainStalls attaches the last failed attempt to deadline errors.
func explainStalls(targets []*target, last string) {
	for _, t := range targets {
		if last != "" && errors.Is(t.err, context.DeadlineExceeded) {
			t.err = &stalledError{err: t.err, last: last}
		}
	}
}

func failAll(targets []*target, err error) {
	for _, t := range targets {
		t.err = err
	}
}

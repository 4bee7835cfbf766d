package fetch

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
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
// The rest go out as soon as the token is in hand, beside that request's
// authorized try rather than after its answer: challenge, then one round of
// secrets. If the first request ends before there is a token (no token, no
// answer to the challenge), the rest are not sent; nor is any request once
// another has failed for the whole vault (see vaultClient).
func (f *fetcher) fetchVault(ctx context.Context, vp *vaultPlan) {
	start := time.Now()
	last := newLastFailure(f.opts.Retry)
	defer func() {
		vp.elapsed = time.Since(start)
		explainStalls(vp.targets, last.get())
	}()
	cred := newTokenSignal(f.cred)
	client, err := azsecrets.NewClient(vp.url, cred, f.vaultOptions(last))
	if err != nil {
		failAll(vp.targets, err)
		return
	}
	vault := newVaultClient(client)
	probe, rest := vp.targets[0], vp.targets[1:]
	var wg sync.WaitGroup
	probed := make(chan struct{})
	wg.Go(func() {
		defer close(probed)
		f.get(ctx, vault, probe)
	})
	select {
	case <-cred.got:
	case <-probed: // with no token it failed, and vault now fails the rest unsent
	}
	for _, t := range rest {
		wg.Go(func() { f.get(ctx, vault, t) })
	}
	wg.Wait()
}

// vaultOptions are the client options for one vault: its own record of the
// last failed attempt, retry budget and throttle lane.
func (f *fetcher) vaultOptions(last *lastFailure) *azsecrets.ClientOptions {
	opts := f.opts
	opts.PerRetryPolicies = perTryPoliciesFor(f.opts.PerRetryPolicies, last)
	opts.Retry.ShouldRetry = newRetryBudget(opts.Retry).shouldRetry
	return &opts
}

// perTryPoliciesFor is shared, the per-try policies of clientOptions, for
// one vault: a throttle lane of its own, and last above the try limit, where
// an abandoned try is told apart from the end of --timeout.
func perTryPoliciesFor(shared []policy.Policy, last *lastFailure) []policy.Policy {
	var ps []policy.Policy
	for _, p := range shared {
		switch p := p.(type) {
		case waitOutThrottling:
			ps = append(ps, p.forVault())
		case limitEachTry:
			ps = append(ps, last, p)
			last = nil
		default:
			ps = append(ps, p)
		}
	}
	if last != nil {
		ps = append(ps, last)
	}
	return ps
}

// get waits for a slot, unless its vault fails meanwhile: slots held by
// another vault's slow requests must not turn this vault's own failure into
// a timeout, whose advice (raise the fetch timeout) would be wrong.
func (f *fetcher) get(ctx context.Context, vault *vaultClient, t *target) {
	select {
	case f.slots <- struct{}{}:
		defer func() { <-f.slots }()
	case <-vault.failed:
	case <-ctx.Done():
	}
	if err := cmp.Or(vault.failure(), ctx.Err()); err != nil {
		t.err = err
		return
	}
	resp, err := vault.client.GetSecret(ctx, t.name, t.version, nil)
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
	vault.record(t.err)
}

// vaultClient is one vault's client and the first error that concerned the
// whole vault: no token, no answer, or failures past the retry budget. The
// requests not yet sent then fail with it instead of going out: they would
// meet the same error, and a failing vault would see more requests.
type vaultClient struct {
	client *azsecrets.Client
	failed chan struct{} // closed once down is set

	mu   sync.Mutex
	down error
}

func newVaultClient(client *azsecrets.Client) *vaultClient {
	return &vaultClient{client: client, failed: make(chan struct{})}
}

func (v *vaultClient) record(err error) {
	if err == nil || secretSpecific(err) {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.down == nil {
		v.down = err
		close(v.failed)
	}
}

func (v *vaultClient) failure() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.down
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

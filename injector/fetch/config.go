// Package fetch is the init container's work: get every referenced secret from
// Key Vault with the pod's identity, then write the values into the pod's
// memory volume for kvenv-exec, finishing with the .done marker.
package fetch

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/kvenv/kvenv/internal/secretref"
)

// Config is what the init container was told by its command line and
// environment (see cmd/kvenv).
type Config struct {
	Dir         string        // the memory volume; layout.MountPath in a pod
	FileMode    fs.FileMode   // mode of each value file
	Timeout     time.Duration // bound on the whole run, retries included
	Concurrency int           // most secret requests in flight at once; see DefaultConcurrency
	ExecSource  string        // the wrapper to copy; layout.ImageExecPath in a pod
	Refs        []secretref.Ref

	Identity IdentityConfig
	CABundle []byte              // extra trusted CAs, PEM (KVENV_CA_BUNDLE)
	Retry    policy.RetryOptions // MaxRetries is per vault (see retryBudget); Retry-After is always honoured

	// Transport, when set, replaces the client built from the system roots
	// and CABundle. Tests use it to reach IMDS, whose address nothing else moves.
	Transport policy.Transporter
}

// DefaultConcurrency is --concurrency's default. Once the first request has
// its token, a vault's other secrets go out at once (see fetchVault): with 16
// most pods' secrets take one round, where 8 would take two for 10 secrets.
// It shapes a pod's burst without adding to it: a pod sends one request per
// secret whatever the setting, against Key Vault's limit of about 4,000
// secret GETs per 10 s per vault.
const DefaultConcurrency = 16

// DefaultRetry bounds retries of throttled (429) and failing (5xx) requests:
// jittered exponential backoff from RetryDelay, or the server's Retry-After.
// MaxRetries is shared by one vault's requests; see retryBudget.
var DefaultRetry = policy.RetryOptions{
	MaxRetries:    4,
	RetryDelay:    800 * time.Millisecond,
	MaxRetryDelay: 30 * time.Second,
	// A hung connection is abandoned and retried on a new one rather than
	// eating the whole --timeout. It bounds each attempt on the network
	// (limitEachTry), never the wait for a throttling vault.
	TryTimeout: 30 * time.Second,
}

// Validate reports every usage error in c at once, each naming its flag or
// variable. cmd/kvenv calls it while parsing, before any network work, so
// that a bad command line exits 2 and only a failed fetch exits 1.
func (c Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("--dir must name the kvenv volume"))
	}
	if c.FileMode&^fs.ModePerm != 0 || c.FileMode&0o400 == 0 {
		errs = append(errs, fmt.Errorf("--file-mode %#o must be permission bits that let the owner read", c.FileMode))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout %s must be positive", c.Timeout))
	}
	if c.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("--concurrency %d must be at least 1", c.Concurrency))
	}
	if len(c.Refs) == 0 {
		errs = append(errs, errors.New("no references: want VAR=https://<vault>/secrets/<name>[/<version>] after --"))
	}
	seen := map[string]bool{}
	for _, r := range c.Refs {
		if seen[r.Env] {
			errs = append(errs, fmt.Errorf("%s is referenced twice: each variable takes one secret", r.Env))
		}
		seen[r.Env] = true
	}
	return errors.Join(errs...)
}

package azurefake

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// KeyVaultOptions configures a fake vault.
type KeyVaultOptions struct {
	// Tenant is named in the 401 challenge; a workload identity credential only
	// answers challenges from its own tenant.
	Tenant string
	// Tokens is where the identity fakes issued the tokens callers present.
	Tokens *Tokens
	// Resource is the audience the challenge names and tokens must carry. Empty
	// means the request host without its first label, as Key Vault does
	// (myvault.vault.azure.net → https://vault.azure.net); on 127.0.0.1:PORT that
	// is https://0.0.1:PORT, which passes the client's domain check, so
	// production code needs no verification bypass.
	Resource string
}

// KeyVault is a fake Key Vault serving the secrets API. The zero value is not
// usable; call NewKeyVault.
type KeyVault struct {
	opts   KeyVaultOptions
	mux    *http.ServeMux
	counts counters
	faults faults
	gather gathering

	mu      sync.Mutex
	secrets map[string][]secretVersion // oldest first; the last is the latest
	readers map[string]map[string]bool // identity → secret names; "" means every secret
}

type secretVersion struct {
	version string
	value   string
	created time.Time
}

// NewKeyVault makes an empty vault.
func NewKeyVault(opts KeyVaultOptions) *KeyVault {
	kv := &KeyVault{
		opts:    opts,
		mux:     http.NewServeMux(),
		secrets: map[string][]secretVersion{},
		readers: map[string]map[string]bool{},
	}
	kv.faults.stopped = make(chan struct{})
	// The client always sends /secrets/{name}/ for the latest version; the
	// slash-less form is what a human types, and Key Vault accepts both.
	kv.mux.HandleFunc("GET /secrets/{name}/{$}", kv.serveSecret)
	kv.mux.HandleFunc("GET /secrets/{name}", kv.serveSecret)
	kv.mux.HandleFunc("GET /secrets/{name}/{version}", kv.serveSecret)
	return kv
}

// Put stores a new version of a secret, which becomes its latest, and
// returns the version ID.
func (kv *KeyVault) Put(name, value string) string {
	v := secretVersion{version: randomHex(16), value: value, created: time.Now()}
	kv.mu.Lock()
	defer kv.mu.Unlock()
	kv.secrets[name] = append(kv.secrets[name], v)
	return v.version
}

// Allow gives identity read access to the named secrets, or to the whole
// vault when no names are given (a role assignment on the vault).
func (kv *KeyVault) Allow(identity string, names ...string) {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	if kv.readers[identity] == nil {
		kv.readers[identity] = map[string]bool{}
	}
	if len(names) == 0 {
		names = []string{""}
	}
	for _, n := range names {
		kv.readers[identity][n] = true
	}
}

// ServeHTTP answers secrets API requests.
func (kv *KeyVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer kv.counts.enter()()
	if !kv.faults.wait(r.Context()) {
		// The caller gave up or the fake is stopping: drop the connection
		// without an answer, as a hung server would.
		panic(http.ErrAbortHandler)
	}
	if retryAfter, over := kv.faults.overBudget(); over {
		kv.counts.add(&kv.counts.throttled)
		writeThrottled(w, retryAfter)
		return
	}
	kv.mux.ServeHTTP(w, r)
}

// Stop releases requests held by injected latency or by GatherAuthorized;
// they end without an answer.
func (kv *KeyVault) Stop() { kv.faults.stop() }

// Counts is a snapshot of the requests answered so far, by kind.
func (kv *KeyVault) Counts() KeyVaultCounts { return kv.counts.snapshot() }

func (kv *KeyVault) serveSecret(w http.ResponseWriter, r *http.Request) {
	grant, ok := kv.authorize(w, r)
	if !ok {
		return
	}
	if !kv.gather.join(r.Context(), kv.faults.stopped) {
		panic(http.ErrAbortHandler) // as a hung server would: no answer
	}
	if kv.injectFault(w, r, grant) {
		return
	}
	name, version := r.PathValue("name"), r.PathValue("version")
	if !kv.allowed(grant.Identity, name) {
		kv.counts.add(&kv.counts.forbidden)
		kv.faults.spend()
		writeForbidden(w, grant.Identity, r.Host)
		return
	}
	v, found := kv.lookup(name, version)
	kv.faults.spend()
	if !found {
		kv.counts.add(&kv.counts.notFound)
		writeNotFound(w, name, version)
		return
	}
	kv.counts.add(&kv.counts.secrets)
	writeSecret(w, r.Host, name, v)
}

// authorize answers 401 with a challenge unless the request carries a live
// token for this vault's resource.
func (kv *KeyVault) authorize(w http.ResponseWriter, r *http.Request) (Grant, bool) {
	resource := kv.resource(r.Host)
	token, hasToken := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !hasToken {
		kv.counts.add(&kv.counts.challenges)
		kv.faults.spend()
		writeChallenge(w, kv.opts.Tenant, resource, "AKV10000: Request is missing a Bearer or PoP token.")
		return Grant{}, false
	}
	grant, ok := kv.opts.Tokens.Lookup(token)
	if !ok || strings.TrimSuffix(grant.Resource, "/") != resource {
		kv.counts.add(&kv.counts.unauthorized)
		kv.faults.spend()
		writeChallenge(w, kv.opts.Tenant, resource, "AKV10022: Invalid audience or expired token.")
		return Grant{}, false
	}
	return grant, true
}

func (kv *KeyVault) resource(host string) string {
	if kv.opts.Resource != "" {
		return strings.TrimSuffix(kv.opts.Resource, "/")
	}
	if _, parent, ok := strings.Cut(host, "."); ok {
		return "https://" + parent
	}
	return "https://" + host
}

func (kv *KeyVault) allowed(identity, name string) bool {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	scopes := kv.readers[identity]
	return scopes[""] || scopes[name]
}

func (kv *KeyVault) lookup(name, version string) (secretVersion, bool) {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	versions := kv.secrets[name]
	if version == "" && len(versions) > 0 {
		return versions[len(versions)-1], true
	}
	for _, v := range versions {
		if strings.EqualFold(v.version, version) {
			return v, true
		}
	}
	return secretVersion{}, false
}

// injectFault answers with the next queued fault, if any.
func (kv *KeyVault) injectFault(w http.ResponseWriter, r *http.Request, grant Grant) bool {
	f, ok := kv.faults.next()
	if !ok {
		return false
	}
	if f.Status == http.StatusTooManyRequests {
		kv.counts.add(&kv.counts.throttled)
		writeThrottled(w, f.RetryAfter)
		return true
	}
	kv.counts.add(&kv.counts.faults)
	kv.faults.spend()
	if f.Status == http.StatusForbidden && f.Code != "" {
		writeRefusal(w, f.Code, r, grant.Identity)
		return true
	}
	writeFault(w, f)
	return true
}

package fetch

import (
	"time"

	"github.com/kvenv/kvenv/internal/secretref"
)

// vaultPlan is the work for one vault: one client, one challenge, one token.
type vaultPlan struct {
	url     string
	targets []*target
	elapsed time.Duration
}

// target is one secret version and the variables it fills: two variables
// naming the same secret cost one request.
type target struct {
	name, version string
	refs          []secretref.Ref
	value         string // set only on success
	err           error
}

// plan groups refs by vault, in the order they were given.
func plan(refs []secretref.Ref) []*vaultPlan {
	var plans []*vaultPlan
	byVault := map[string]*vaultPlan{}
	byKey := map[[3]string]*target{}
	for _, r := range refs {
		vp := byVault[r.VaultURL]
		if vp == nil {
			vp = &vaultPlan{url: r.VaultURL}
			byVault[r.VaultURL] = vp
			plans = append(plans, vp)
		}
		key := [3]string{r.VaultURL, r.Name, r.Version}
		t := byKey[key]
		if t == nil {
			t = &target{name: r.Name, version: r.Version}
			byKey[key] = t
			vp.targets = append(vp.targets, t)
		}
		t.refs = append(t.refs, r)
	}
	return plans
}

// values maps each variable to its value; call only when nothing failed.
func values(plans []*vaultPlan) map[string]string {
	out := map[string]string{}
	for _, vp := range plans {
		for _, t := range vp.targets {
			for _, r := range t.refs {
				out[r.Env] = t.value
			}
		}
	}
	return out
}

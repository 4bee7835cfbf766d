package fetch

import (
	"context"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// tokenSignal is the credential of one vault's client. The client asks it for
// a token only after reading the vault's 401 challenge, which names the tenant
// and the resource, and keeps the token for its later requests: so got closes
// at the first token, the moment the vault's other requests can go out
// without a challenge each.
type tokenSignal struct {
	azcore.TokenCredential
	once sync.Once
	got  chan struct{}
}

func newTokenSignal(cred azcore.TokenCredential) *tokenSignal {
	return &tokenSignal{TokenCredential: cred, got: make(chan struct{})}
}

func (c *tokenSignal) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := c.TokenCredential.GetToken(ctx, o)
	if err == nil {
		c.once.Do(func() { close(c.got) })
	}
	return tok, err
}

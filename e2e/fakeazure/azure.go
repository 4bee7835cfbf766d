package fakeazure

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"

	"github.com/kvenv/kvenv/internal/azurefake"
)

// Options configure the fakes a cluster's pods reach.
type Options struct {
	// ListenIP is an address of the private network namespace that pods
	// route to (the node IP). Each fake gets its own port.
	ListenIP string
	// Tenant is the Entra ID tenant (AZURE_TENANT_ID of the pods).
	Tenant string
	// Federation checks the pods' service-account tokens.
	Federation *Federation
}

// Azure is a fake Key Vault and a fake Entra ID, served over HTTPS with
// certificates from a CA made for this run.
type Azure struct {
	CA    *azurefake.CA
	Vault *azurefake.KeyVault
	Entra *azurefake.Entra

	vaultServer, entraServer *httptest.Server
}

// Start serves the fakes on opts.ListenIP.
func Start(opts Options) (*Azure, error) {
	ca, err := azurefake.NewCA()
	if err != nil {
		return nil, err
	}
	tokens := azurefake.NewTokens()
	a := &Azure{
		CA:    ca,
		Vault: azurefake.NewKeyVault(azurefake.KeyVaultOptions{Tenant: opts.Tenant, Tokens: tokens}),
		Entra: azurefake.NewEntra(azurefake.EntraOptions{Tenant: opts.Tenant, Tokens: tokens, Federation: opts.Federation.SignIn}),
	}
	if a.vaultServer, err = serve(opts.ListenIP, ca, a.Vault); err != nil {
		return nil, err
	}
	if a.entraServer, err = serve(opts.ListenIP, ca, a.Entra); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func serve(ip string, ca *azurefake.CA, h http.Handler) (*httptest.Server, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return nil, err
	}
	srv, err := azurefake.Serve(l, ca, h)
	if err != nil {
		return nil, errors.Join(err, l.Close())
	}
	return srv, nil
}

// VaultURL is the vault's https://<ip>:<port>, as pods annotate it.
func (a *Azure) VaultURL() string { return a.vaultServer.URL }

// AuthorityHost is the Entra ID host, as AZURE_AUTHORITY_HOST carries it.
func (a *Azure) AuthorityHost() string { return a.entraServer.URL + "/" }

// Close stops both servers.
func (a *Azure) Close() {
	a.Vault.Stop()
	for _, s := range []*httptest.Server{a.vaultServer, a.entraServer} {
		if s != nil {
			s.Close()
		}
	}
}

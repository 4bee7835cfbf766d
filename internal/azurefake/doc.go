// Package azurefake holds wire-level fakes of the Azure services kvenv talks
// to: Key Vault, the Microsoft Entra ID token endpoint and the managed identity
// endpoints. Tests drive the real azsecrets and azidentity clients against
// them, so what is tested is the SDK's real behaviour (challenges, token
// caching, retries), not a mock of it.
//
// Each fake is an http.Handler. Serve runs one over TLS on any listener (so an
// end-to-end test can put it on an address a pod reaches); StartLoopback is
// the unit-test shortcut on 127.0.0.1. Certificates come from a CA the test
// owns, so clients verify them the way production verifies a private CA.
//
// Tokens ties the fakes together: the identity fakes issue opaque access
// tokens into it and Key Vault looks them up to learn who is calling.
package azurefake

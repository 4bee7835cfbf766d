package imageconfig

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// failureKind orders why a look-up failed; a higher kind says more about
// what to fix, so it decides the advice when attempts disagree.
type failureKind int

const (
	failOther failureKind = iota
	failBusy
	failNotFound
	failDenied
	failPlatform
	failTooLarge
	failTimeout
)

func (k failureKind) result() string {
	return [...]string{resultError, resultError, resultNotFound, resultDenied, resultNotFound, resultError, resultTimeout}[k]
}

func (k failureKind) advice() string {
	return [...]string{
		"make the registry reachable from the kvenv webhook with a certificate it trusts (or configure a mirror, an insecure registry or a CA bundle)",
		"create the pod again in a moment",
		"correct the image reference",
		"grant pull access: name a pull secret for this registry in the pod's or its service account's imagePullSecrets (kvenv reads them when the chart's pull-secret reading is enabled), or, for Azure Container Registry, give kvenv's identity the AcrPull role on it",
		"use an image built for the pod's platform",
		fmt.Sprintf("use an image whose manifests and config are each under %d MiB (real ones take a few KiB)", maxAnswerBytes>>20),
		"make the registry reachable from the kvenv webhook (air-gapped clusters: configure a registry mirror)",
	}[k]
}

// lookupFailure is what a shared look-up found, without the requester's
// container name: each request sharing it words it for its own container.
type lookupFailure struct {
	kind     failureKind
	attempts []string // endpoint, credential and the registry's answer
	notes    []string // pull secrets that could not be used, and why

	// An ACR refused anonymous access and kvenv's identity was never
	// offered to one: without the chart's registry.azureIdentity there is
	// no identity to grant AcrPull to, so the advice must say to enable it.
	acrRefusedAnonymous bool
	acrIdentityTried    bool
}

func (f *lookupFailure) Error() string {
	msg := strings.Join(f.attempts, "; ")
	if len(f.notes) > 0 {
		msg += " (" + strings.Join(f.notes, "; ") + ")"
	}
	return msg
}

// add records a failed attempt and returns its kind. secrets are the
// credentials of the attempt, which describe keeps out of its words.
func (f *lookupFailure) add(ep endpoint, c credential, err error, secrets []string) failureKind {
	kind := classify(err)
	f.kind = max(f.kind, kind)
	f.noteACR(ep, c, kind)
	f.attempts = append(f.attempts, fmt.Sprintf("%s with %s: %s", ep.host, c.label, describe(err, secrets)))
	return kind
}

// noteACR records what the advice needs to know about ACR attempts. On an
// ACR, kvenv's identity, when configured, comes before anonymous access, so
// an anonymous refusal with no identity attempt means there is none.
func (f *lookupFailure) noteACR(ep endpoint, c credential, kind failureKind) {
	if !isAzureContainerRegistry(ep.host) {
		return
	}
	if c.acr {
		f.acrIdentityTried = true
	}
	if c.keychain == nil && !c.acr && kind == failDenied {
		f.acrRefusedAnonymous = true
	}
}

// needsACRIdentity says whether the advice must ask for kvenv's Azure
// identity to be enabled before AcrPull on it can help.
func (f *lookupFailure) needsACRIdentity() bool {
	return f.kind == failDenied && f.acrRefusedAnonymous && !f.acrIdentityTried
}

// isAzureContainerRegistry: host is in one of the ACR domains kvenv knows
// without configuration (hosts added by --registry-acr-hosts need the
// identity, which then advises for itself).
func isAzureContainerRegistry(host string) bool {
	return (&acrExchange{}).handles(host)
}

// enableACRIdentityAdvice is the denial advice for an ACR when kvenv runs
// without an Azure identity.
const enableACRIdentityAdvice = "grant pull access: name a pull secret for this registry in the pod's or its service account's imagePullSecrets " +
	"(kvenv reads them when the chart's pull-secret reading is enabled), or, since this is an Azure Container Registry, " +
	"enable the chart's registry.azureIdentity (kvenv-webhook --registry-azure-identity) and give kvenv's identity the AcrPull role on it"

func (f *lookupFailure) timedOut(limit time.Duration) {
	f.kind = failTimeout
	f.attempts = append(f.attempts, fmt.Sprintf("timeout: no answer within the %v look-up limit", limit))
}

func classify(err error) failureKind {
	var te *transport.Error
	var ee *exchangeError
	var pe *platformError
	var ce *credentialError
	var tl *tooLargeError
	var be *busyError
	switch {
	case errors.As(err, &pe):
		return failPlatform
	case errors.As(err, &tl):
		return failTooLarge
	case errors.As(err, &be):
		return failBusy
	case errors.As(err, &ce):
		return failDenied
	case errors.As(err, &ee):
		return statusKind(ee.status)
	case errors.As(err, &te):
		return statusKind(te.StatusCode)
	}
	return failOther
}

func statusKind(status int) failureKind {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return failDenied
	case http.StatusNotFound:
		return failNotFound
	}
	return failOther
}

// explain words a failure for q's container: what failed, the registry's
// answer, and what to do.
func (q *request) explain(err error) error {
	advice := failOther.advice()
	var f *lookupFailure
	if errors.As(err, &f) {
		advice = f.kind.advice()
		if f.needsACRIdentity() {
			advice = enableACRIdentityAdvice
		}
	}
	unread := ""
	if !q.readsSecrets && len(q.PullSecrets) > 0 {
		unread = fmt.Sprintf(" (imagePullSecrets %q were not tried: kvenv does not read Secrets; enable pull-secret reading in the chart)", q.PullSecrets)
	}
	return fmt.Errorf("container %q: cannot read the ENTRYPOINT/CMD of image %q (needed because the container sets no command): %w%s; "+
		"to fix, set `command` in the pod spec for container %q, or %s",
		q.Container, q.Image, err, unread, q.Container, advice)
}

// authSecrets are what auth sends, in every form a registry might echo.
func authSecrets(auth authn.Authenticator) []string {
	if auth == nil {
		return nil
	}
	cfg, err := auth.Authorization()
	if err != nil {
		return nil
	}
	basic := ""
	if cfg.Username != "" && cfg.Password != "" {
		basic = base64.StdEncoding.EncodeToString([]byte(cfg.Username + ":" + cfg.Password))
	}
	return []string{basic, cfg.Auth, cfg.Password, cfg.IdentityToken, cfg.RegistryToken}
}

// redact removes secrets from msg, in case a registry echoes them.
func redact(msg string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "[redacted]")
		}
	}
	return msg
}

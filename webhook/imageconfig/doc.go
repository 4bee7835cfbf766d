// Package imageconfig reads the ENTRYPOINT and CMD of container images from
// their registries, for containers that set no `command`.
//
// A look-up tries, per registry endpoint (configured mirrors first, then the
// image's own registry), the credentials the kubelet would: each
// imagePullSecrets entry of the pod, then of its service account, then
// kvenv's own Azure identity for ACR hosts, then anonymous. A 401/403 moves
// on to the next credential; any other error ends that endpoint.
//
// # Caching without leaking private images across namespaces
//
// Two caches, both LRU-bounded:
//
//   - access: (normalized image reference, scope) → top-level digest, for
//     TagTTL. An entry exists only after a credential of that scope got the
//     manifest from the registry. A scope is "secret:<namespace>/<name>" for
//     a pull secret, or "shared" for anonymous access and kvenv's own ACR
//     identity, which every namespace would get anyway. A request may use an
//     entry only for a scope it holds: "shared", or a pull secret it names
//     (directly or through its service account) in its own namespace. So a
//     namespace without credentials never sees another namespace's private
//     image; it does its own look-up, which fails as the kubelet's pull would.
//     By-digest references expire the same way: their content cannot change,
//     but the proof of access should not outlive TagTTL.
//   - config: (repository, digest, platform) → ENTRYPOINT/CMD, until
//     evicted. It is read only after the requester proved access above, or
//     after the registry itself answered the requester's manifest HEAD. The
//     repository is part of the key because a digest alone is not proof: any
//     registry can claim any digest in a HEAD response.
//
// After TagTTL a tag costs one manifest HEAD (which Docker Hub does not count
// against pull limits); the config is refetched only if the digest changed.
// Concurrent requests with the same image, platform and credentials share
// one look-up.
//
// # What a registry can make kvenv do
//
// The pod names the registry, so it may be any HTTPS service kvenv reaches.
// Every answer is bounded, each and all look-ups' together (see
// maxAnswerBytes), and a denial repeats of a registry's error only its
// status and error codes, without the attempt's credentials (see describe).
package imageconfig

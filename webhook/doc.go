// Package webhook is kvenv's admission side. Its core is Mutate, a pure
// function of (pod, Inputs, Config): the admission handler gathers the
// inputs (namespace annotations, image entrypoints) and calls it, and the
// offline `render` command calls the very same function on manifests.
//
// # What Mutate adds
//
// A memory-backed emptyDir "kvenv", an init container "kvenv-init" placed
// first that receives references (never values) on its command line, a
// read-only mount of the volume in each target container, and each
// target's command rewritten to run its original argv behind the wrapper.
// Mutating the result again changes nothing.
//
// # Who can read the value files
//
// The init container writes one file per variable into the volume. Files
// must be readable by the target containers and by nobody else who can get
// at them; the volume itself is mounted only into kvenv-init and the target
// containers, which is the outer boundary in every case. Inside it, Mutate
// picks the tightest mode that still works, from the pod's security context:
//
//  1. Every target container has the same explicit, non-zero effective
//     runAsUser (the container's securityContext over the pod's): kvenv-init
//     runs as that UID (and that runAsGroup, if they share one) and writes
//     the files 0400. Only that user can read them.
//  2. Otherwise, if the pod sets securityContext.fsGroup: kvenv-init runs as
//     65532 and writes the files 0440. The kubelet makes an emptyDir
//     group-owned by fsGroup with the setgid bit on its directories, so the
//     files inherit that group, and every container of the pod has fsGroup
//     among its supplementary groups.
//  3. Otherwise kvenv-init runs as 65532 and writes the files 0444, and the
//     pod gets an admission warning: the volume mount is then the only
//     boundary; setting runAsUser or fsGroup gives tighter files.
//
// The wrapper binary the init container copies into the volume is always
// 0555: every target must be able to execute it, and nobody may change it.
// The directories it creates (bin, env) must let the same readers in, so
// they are 0755 in every case (whatever kvenv-init's umask, and keeping the
// setgid bit an fsGroup gives them): the file modes, not the directories,
// keep values in. Only kvenv-init's user, their owner, may write in them,
// and it has exited before any target starts; 0555 would not stop it, as
// an owner can always change the mode back.
// kvenv-init never runs as root: it is Pod Security "restricted" compliant
// whatever the pod says.
//
// # Interplay with the workload identity webhook
//
// The Azure workload identity webhook may run before or after kvenv; both
// are re-invoked when the other changed the pod. Whenever a target carries
// AZURE_FEDERATED_TOKEN_FILE and the mount holding that file, the rebuilt
// init container gets the same AZURE_* env and mount, so either order ends
// in the same init container.
package webhook

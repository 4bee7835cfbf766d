// Package layout names what the webhook adds to a pod and where the in-pod
// runtime finds it. The webhook (admission side) and the injector (inside the
// pod) must agree on these, so they live in one place.
package layout

const (
	// VolumeName is the memory-backed emptyDir that holds the fetched values
	// and the wrapper for the lifetime of the pod (it survives container
	// restarts, so a restarted app needs no new fetch).
	VolumeName = "kvenv"
	// MountPath is where that volume is mounted in the init container and,
	// read-only, in every target container.
	MountPath = "/kvenv"
	// InitContainerName is the init container that fetches the secrets.
	InitContainerName = "kvenv-init"

	// BinDir holds the wrapper copied by the init container.
	BinDir = MountPath + "/bin"
	// ExecPath is the wrapper that becomes each target container's entrypoint.
	ExecPath = BinDir + "/kvenv-exec"
	// EnvDir holds one file per variable: the file name is the variable name and
	// the content is the value, byte for byte (no quoting, no encoding).
	EnvDir = MountPath + "/env"
	// DoneFile is written last by the init container; the wrapper refuses to
	// start the app without it, so a half-written volume is never used.
	DoneFile = MountPath + "/.done"

	// ImageExecPath and ImageInitPath are where the kvenv image holds its binaries.
	ImageExecPath = "/usr/local/bin/kvenv-exec"
	ImageInitPath = "/usr/local/bin/kvenv"
)

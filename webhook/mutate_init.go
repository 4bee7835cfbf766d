package webhook

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kvenv/kvenv/internal/layout"
)

// caBundleEnv carries cfg.CABundle (public PEM) to the init container.
const caBundleEnv = "KVENV_CA_BUNDLE"

// initContainer builds kvenv's init container from scratch, so a rebuilt
// one equals the first whatever changed in between. Fields the API server
// would default are set explicitly, so that a re-invocation finds nothing
// to change.
func initContainer(m *mutation, cfg Config) corev1.Container {
	mounts := []corev1.VolumeMount{{Name: layout.VolumeName, MountPath: layout.MountPath}}
	if m.identity.found {
		mounts = append(mounts, m.identity.mount)
	}
	return corev1.Container{
		Name:                     layout.InitContainerName,
		Image:                    cfg.InjectorImage,
		ImagePullPolicy:          pullPolicy(cfg),
		Command:                  []string{layout.ImageInitPath},
		Args:                     initArgs(m, cfg),
		Env:                      initEnv(m, cfg),
		Resources:                *cfg.InitResources.DeepCopy(),
		VolumeMounts:             mounts,
		SecurityContext:          initSecurityContext(m.access),
		TerminationMessagePath:   corev1.TerminationMessagePathDefault,
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError, // the fetch's error lines show in `kubectl describe`
	}
}

// initArgs is the contract with the injector: flags, "--", then one
// reference per variable (never a value), sorted by variable name.
func initArgs(m *mutation, cfg Config) []string {
	args := []string{
		"--dir=" + layout.MountPath,
		"--file-mode=" + m.access.mode,
		"--timeout=" + shortDuration(cfg.FetchTimeout),
	}
	if m.req.clientID != "" {
		args = append(args, "--client-id="+m.req.clientID)
	}
	if m.identity.missingFor != "" {
		args = append(args, requireWorkloadIdentityFlag+"="+m.identity.missingFor)
	}
	if cfg.AuthorityHost != "" {
		args = append(args, "--authority-host="+cfg.AuthorityHost)
	}
	if cfg.DisableInstanceDiscovery {
		args = append(args, "--disable-instance-discovery")
	}
	args = append(args, "--")
	for _, r := range m.req.refs {
		args = append(args, r.String())
	}
	return args
}

func initEnv(m *mutation, cfg Config) []corev1.EnvVar {
	env := append([]corev1.EnvVar(nil), m.identity.env...)
	if cfg.CABundle != "" {
		env = append(env, corev1.EnvVar{Name: caBundleEnv, Value: cfg.CABundle})
	}
	return env
}

// initSecurityContext satisfies Pod Security "restricted" whatever the pod
// sets, and runs as the UID chosen for file readability (see doc.go).
func initSecurityContext(a fileAccess) *corev1.SecurityContext {
	yes, no := true, false
	uid := a.uid
	var gid *int64
	if a.gid != nil {
		g := *a.gid
		gid = &g
	}
	return &corev1.SecurityContext{
		RunAsNonRoot:             &yes,
		RunAsUser:                &uid,
		RunAsGroup:               gid,
		AllowPrivilegeEscalation: &no,
		ReadOnlyRootFilesystem:   &yes,
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// pullPolicy is the configured one, or what the API server would default
// (Always for :latest or no tag, else IfNotPresent), so re-invocations agree.
func pullPolicy(cfg Config) corev1.PullPolicy {
	if cfg.InjectorPullPolicy != "" {
		return cfg.InjectorPullPolicy
	}
	image := cfg.InjectorImage
	if strings.Contains(image, "@") {
		return corev1.PullIfNotPresent
	}
	tag := ""
	if i := strings.LastIndexByte(image, ':'); i > strings.LastIndexByte(image, '/') {
		tag = image[i+1:]
	}
	if tag == "" || tag == "latest" {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}

// shortDuration prints 2m rather than 2m0s, as a person would write it.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

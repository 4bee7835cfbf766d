// Package migrate turns workloads that take Azure Key Vault secrets through
// the Secrets Store CSI driver (a SecretProviderClass whose secretObjects sync
// a Kubernetes Secret, read by env secretKeyRef) into workloads that ask kvenv
// for the same secrets with kvenv.io annotations.
//
// It is pure: manifests in, manifests and a report out. It never contacts a
// cluster or Azure. What it cannot translate it leaves exactly as it was and
// says so in the report, so that the result is never less correct than the
// input.
package migrate

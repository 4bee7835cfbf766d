package selftls

// CertManagerSecretData lets the API server tests switch from a
// cert-manager-shaped Secret.
var CertManagerSecretData = certManagerSecretData

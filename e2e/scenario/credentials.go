package scenario

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// Credentials are the three values the tutorial stores in Key Vault. They
// exist only in this process's memory and in the fake vault.
type Credentials struct {
	URL, Username, Password string
}

// newCredentials makes fresh values. Random parts make each value unique,
// so a leak scan cannot match unrelated text (a fixed user name such as
// the tutorial's "spring" appears everywhere). The password keeps the
// tutorial's "#" and adds characters that break naive quoting: ' " $ \.
func newCredentials(dbAddr string) Credentials {
	return Credentials{
		URL:      fmt.Sprintf("jdbc:postgresql://%s/%s", dbAddr, Database),
		Username: "spring_" + randomHex(6),
		Password: `ThisIsTest#123'"$HOME\` + randomHex(8),
	}
}

// Values lists the three values, for leak scans.
func (c Credentials) Values() []string { return []string{c.URL, c.Username, c.Password} }

// BySecret maps each Key Vault secret name to its value.
func (c Credentials) BySecret() map[string]string {
	return map[string]string{SecretURL: c.URL, SecretUsername: c.Username, SecretPassword: c.Password}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}
